import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from lockers.models import Beer

pytestmark = pytest.mark.django_db
User = get_user_model()


def _seed(tmp_path, *args):
    call_command("seed_demo", "--passwords-file", str(tmp_path / "passwords.json"), *args)


def _passwords(out):
    """The passwords seed_demo printed: the demo user's, then the administrator's."""
    return [line.split("password: ")[1].split()[0] for line in out.splitlines() if "password: " in line]


def test_seed_demo_creates_the_demo_user_and_an_administrator_and_prints_working_passwords(capsys, tmp_path):
    _seed(tmp_path, "--url", "http://127.0.0.1:9999")

    out = capsys.readouterr().out
    demo_password, admin_password = _passwords(out)
    demo, admin = User.objects.get(username="demo"), User.objects.get(username="admin")
    assert demo.check_password(demo_password)
    assert not demo.is_staff
    assert Beer.objects.filter(owner=demo).count() == 3
    assert admin.check_password(admin_password) and admin.is_staff and admin.is_superuser
    assert demo_password != admin_password
    assert "curl -u demo:" in out
    assert "http://127.0.0.1:9999/api/beers" in out
    assert "http://127.0.0.1:9999/admin/" in out
    assert (tmp_path / "passwords.json").stat().st_mode & 0o077 == 0


def test_seed_demo_again_keeps_passwords_and_sessions_without_duplicating_beers(capsys, tmp_path, client):
    _seed(tmp_path)
    first = _passwords(capsys.readouterr().out)
    demo = User.objects.get(username="demo")
    client.force_login(demo)

    _seed(tmp_path)

    assert _passwords(capsys.readouterr().out) == first
    demo.refresh_from_db()
    assert demo.check_password(first[0])
    assert Beer.objects.filter(owner=demo).count() == 3
    assert client.get("/account/beers/").status_code == 200  # still signed in: the hash did not change


def test_seed_demo_puts_back_the_stored_password_when_it_was_changed(capsys, tmp_path):
    _seed(tmp_path)
    stored = _passwords(capsys.readouterr().out)[0]
    demo = User.objects.get(username="demo")
    demo.set_password("changed in the meantime")
    demo.save()

    _seed(tmp_path)

    demo.refresh_from_db()
    assert demo.check_password(stored)


def test_seed_demo_registers_the_api_docs_public_client_once(capsys, tmp_path, settings):
    from oauthclients.models import Client

    _seed(tmp_path, "--url", "http://127.0.0.1:9999")
    _seed(tmp_path, "--url", "http://127.0.0.1:9999")

    client = Client.objects.get(client_id=settings.API_DOCS_CLIENT_ID)
    assert client.user == User.objects.get(username="admin")
    assert client.token_endpoint_auth_method == "none"
    assert client.client_type == Client.CLIENT_PUBLIC
    assert client.grant_types == ["authorization_code"]
    assert client.redirect_uris == "http://127.0.0.1:9999/api/docs/oauth2-redirect.html"
    scopes = client.scope.split()
    assert {"beers:read", "beers:write", "profile", "clients"} <= set(scopes)
    # Never what a user cannot grant a third party: applications-only and first-party scopes.
    assert not {"stats:read", "social:write", "sessions:write"} & set(scopes)
    assert f"the public client '{settings.API_DOCS_CLIENT_ID}'" in capsys.readouterr().out


def test_seed_demo_on_another_address_adds_its_docs_redirect_uri(tmp_path, settings):
    from oauthclients.models import Client

    _seed(tmp_path, "--url", "http://127.0.0.1:9999")
    _seed(tmp_path, "--url", "http://localhost:8001")

    client = Client.objects.get(client_id=settings.API_DOCS_CLIENT_ID)
    assert client.redirect_uris.split() == [
        "http://127.0.0.1:9999/api/docs/oauth2-redirect.html",
        "http://localhost:8001/api/docs/oauth2-redirect.html",
    ]


def test_seed_demo_without_a_docs_client_id_registers_none(tmp_path, settings):
    from oauthclients.models import Client

    settings.API_DOCS_CLIENT_ID = ""

    _seed(tmp_path)

    assert not Client.objects.exists()


def test_seed_demo_on_a_plain_http_lan_address_says_why_the_docs_client_is_missing(
    capsys, tmp_path, settings
):
    from oauthclients.models import Client

    _seed(tmp_path, "--url", "http://192.0.2.10:8000")

    assert User.objects.filter(username="demo").exists()  # the rest of the demo data is there
    assert not Client.objects.exists()
    assert "not registered for http://192.0.2.10:8000" in capsys.readouterr().out
