"""Every page the reusable apps render, in a project that wrote no template (pages_settings).

Run by tests/packaging/test_shipped_templates.py in a fresh pytest process with
``--ds=tests.standalone.pages_settings`` and no conftest. Not named test_*.py, so the main suite
never collects it under the main settings. Each page must answer from the app's own template
(not DOT's, not a project's), and the last test checks that every template the apps ship was
rendered by one of them.
"""

import base64
import hashlib
import io
import secrets
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test.signals import template_rendered

from lockers import services as lockers_services
from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE, DEVICE_CODE, REFRESH_TOKEN, TokenEndpointAuthMethod
from oauthclients.models import Client
from socialaccounts.models import SocialAccount

pytestmark = pytest.mark.django_db
APPS = ("lockers", "oauthclients", "socialaccounts")
REDIRECT_URI = "https://app.example.com/callback"
RENDERED: set[str] = set()  # every template rendered by this module's tests, by name


@pytest.fixture(autouse=True)
def record_templates():
    def rendered(sender, template, context, **kwargs):
        RENDERED.add(template.name)

    template_rendered.connect(rendered)
    yield
    template_rendered.disconnect(rendered)


@pytest.fixture
def user():
    return get_user_model().objects.create_user("ann", password=secrets.token_urlsafe())


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def app(user):
    created, _secret = services.client_create(
        owner=user,
        client_name="Pages App",
        redirect_uris=[REDIRECT_URI],
        grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN],
        token_endpoint_auth_method=TokenEndpointAuthMethod.NONE,
        scope="openid clients",
    )
    return created


def shipped_templates():
    """Every template under the three apps' templates/ directories, by name."""
    names = set()
    for label in APPS:
        root = Path(apps.get_app_config(label).path, "templates")
        names |= {str(path.relative_to(root)) for path in root.rglob("*.html")}
    return names


def page(response, name, status=200):
    """The response answered ``status`` from the app's own ``name`` template; its text."""
    assert response.status_code == status, response.content[:2000]
    used = {template.name: template.origin.name for template in response.templates}
    assert name in used, sorted(used)
    app_dir = Path(apps.get_app_config(name.split("/")[0]).path, "templates")
    assert Path(used[name]).is_relative_to(app_dir), used[name]
    return response.content.decode()


def authorize_params(**extra):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid clients",
        "state": "s-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return params, verifier


def test_consent_form_post_and_authorized_apps(signed_in, app):
    params, verifier = authorize_params(client_id=app.client_id, response_mode="form_post")

    consent = signed_in.get(f"/api/oauth2/authorize?{urlencode(params)}")

    body = page(consent, "oauthclients/authorize.html")
    assert "Allow <strong>Pages App</strong> to use your account?" in body
    assert "Confirm who you are" in body  # the scopes' descriptions
    form = {name: consent.context["form"][name].value() or "" for name in consent.context["form"].fields}
    answer = signed_in.post(  # to the page's own URL, as its form does: the response mode is in it
        f"/api/oauth2/authorize?{urlencode(params)}",
        {**{k: v for k, v in form.items() if v != ""}, "allow": "Allow"},
    )

    body = page(answer, "oauthclients/form_post.html")
    assert f'action="{REDIRECT_URI}"' in body
    assert '<script src="/static/oauthclients/form_post.js" defer></script>' in body
    assert finders.find("oauthclients/form_post.js")
    code = dict(answer.context["fields"])["code"]
    token = signed_in.post(
        "/api/oauth2/token",
        {
            "grant_type": AUTHORIZATION_CODE,
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.content

    body = page(signed_in.get("/account/apps/"), "oauthclients/authorized_list.html")
    assert "<h2>Pages App</h2>" in body
    assert "Confirm who you are" in body


def test_consent_error_page(signed_in):
    params, _verifier = authorize_params(client_id="no-such-client")

    body = page(
        signed_in.get(f"/api/oauth2/authorize?{urlencode(params)}"), "oauthclients/authorize.html", 400
    )

    assert "This authorization request cannot be completed" in body


def test_a_client_requiring_a_second_factor_the_project_knows_nothing_of(signed_in, app):
    # The base adapter knows no second factors: the page says so, without a set-up link.
    services.client_update(client=app, minimum_acr="urn:beerlocker:acr:mfa")
    params, _verifier = authorize_params(client_id=app.client_id)

    body = page(
        signed_in.get(f"/api/oauth2/authorize?{urlencode(params)}"),
        "oauthclients/second_factor_required.html",
        403,
    )

    assert "<strong>Pages App</strong> requires you to confirm your sign-in" in body
    assert "error=unmet_authentication_requirements" in body and "Set up a second factor" not in body


def test_device_code_and_confirmation(signed_in, user):
    tv, _secret = services.client_create(
        owner=user,
        client_name="Pages TV",
        redirect_uris=[],
        grant_types=[DEVICE_CODE],
        token_endpoint_auth_method=TokenEndpointAuthMethod.NONE,
        scope="openid clients",
    )
    started = signed_in.post(
        "/api/oauth2/device_authorization",
        urlencode({"client_id": tv.client_id, "scope": "openid"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert started.status_code == 200, started.content

    body = page(signed_in.get("/api/oauth2/device"), "oauthclients/device.html")
    assert 'name="user_code"' in body
    entered = signed_in.post("/api/oauth2/device", {"user_code": started.json()["user_code"]}, follow=True)

    body = page(entered, "oauthclients/device_confirm.html")
    assert "Pages TV" in body
    assert "Confirm who you are" in body


def test_logout_confirmation(signed_in, app):
    body = page(
        signed_in.get(f"/api/oauth2/logout?client_id={app.client_id}"), "oauthclients/logout_confirm.html"
    )

    assert "<h1>Sign out?</h1>" in body
    assert (
        "<strong>Pages App</strong> asks to sign you out (you are signed in as <strong>ann</strong>)" in body
    )


def test_developer_portal(signed_in):
    empty = page(signed_in.get("/account/developer/"), "oauthclients/client_list.html")
    assert "You have not registered an application yet." in empty
    assert "<code>/api/clients</code>" in empty  # the app's own API, found by its URL name
    new = signed_in.get("/account/developer/new/")
    page(new, "oauthclients/client_form.html")
    assert "oauthclients/_form_fields.html" in {template.name for template in new.templates}

    created = signed_in.post(
        "/account/developer/new/",
        {
            "client_name": "Portal App",
            "redirect_uris": REDIRECT_URI,
            "grant_types": [AUTHORIZATION_CODE],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": "clients",
            "submission": new.context["submission"],
        },
    )

    body = page(created, "oauthclients/client_secret.html")
    client = Client.objects.get(name="Portal App")
    assert created.context["client_secret"] in body
    assert "this site keeps only a hash of it" in body
    assert '<script src="/static/oauthclients/copy.js" defer></script>' in body
    assert finders.find("oauthclients/copy.js")
    detail = page(signed_in.get(f"/account/developer/{client.client_id}/"), "oauthclients/client_detail.html")
    assert f'<code id="client-id">{client.client_id}</code>' in detail
    page(signed_in.get(f"/account/developer/{client.client_id}/edit/"), "oauthclients/client_form.html")
    delete = page(
        signed_in.get(f"/account/developer/{client.client_id}/delete/"),
        "oauthclients/client_confirm_delete.html",
    )
    assert "Delete Portal App?" in delete
    listed = page(signed_in.get("/account/developer/"), "oauthclients/client_list.html")
    assert "Portal App" in listed


def test_connections(client, user):
    user.set_unusable_password()  # signed in with GitHub only
    user.save()
    client.force_login(user)
    SocialAccount.objects.create(
        user=user, provider="github", uid="101", id_key="id", extra_data={"login": "octo"}
    )

    response = client.get("/account/connections")

    body = page(response, "socialaccounts/connections.html")
    assert "socialaccounts/_provider_buttons.html" in {template.name for template in response.templates}
    assert "Connect GitHub" in body
    assert "the last one cannot be disconnected." in body  # the app's own notice, no project link


def test_my_locker(signed_in, user):
    beer = lockers_services.beer_create(owner=user, name="Orval")

    listed = page(signed_in.get("/account/beers/"), "lockers/beer_list.html")
    assert "Orval" in listed
    page(signed_in.get("/account/beers/add/"), "lockers/beer_form.html")
    page(signed_in.get(f"/account/beers/{beer.pk}/delete/"), "lockers/beer_confirm_delete.html")


def test_admin_add_client_shows_its_secret(client):
    admin = get_user_model().objects.create_superuser("root", password=secrets.token_urlsafe())
    client.force_login(admin)

    response = client.post(
        "/admin/oauthclients/client/add/",
        {
            "user": admin.pk,
            "name": "Admin Made",
            "redirect_uris": REDIRECT_URI,
            "grant_types": [AUTHORIZATION_CODE],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": "clients",
        },
    )

    body = page(response, "oauthclients/admin/client_secrets.html")
    made = Client.objects.get(name="Admin Made")
    assert f"<code>{made.client_id}</code>" in body
    assert "This is the only time these secrets are shown." in body


def test_the_apps_need_no_migration_under_a_project_default_of_autofield():
    # This project's DEFAULT_AUTO_FIELD is AutoField; each AppConfig names the BigAutoField its
    # migrations were written with, so makemigrations would write nothing into site-packages.
    out = io.StringIO()

    call_command("makemigrations", *APPS, check=True, dry_run=True, stdout=out)

    assert "No changes detected" in out.getvalue()


def test_every_shipped_template_was_rendered_above():
    # Last in this module: each shipped template has a page in the tests above (a new template
    # needs one), and the list is not empty by accident.
    shipped = shipped_templates()
    assert {"oauthclients/authorize.html", "lockers/beer_list.html", "socialaccounts/base.html"} <= shipped
    assert shipped - RENDERED == set()
