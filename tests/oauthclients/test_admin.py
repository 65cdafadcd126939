import pytest
from django.contrib.auth.hashers import check_password

from oauthclients import services
from oauthclients.models import Client
from tests.factories import ClientFactory
from tests.support.oauth import token_counts

CHANGELIST = "/admin/oauthclients/client/"


@pytest.fixture
def created(user):
    """A client created through the service, with its raw secret."""
    return services.client_create(
        owner=user,
        client_name="Tap Room",
        redirect_uris=["https://tap.example.com/cb", "http://localhost:3000/cb"],
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="client_secret_basic",
        scope="beers:read",
    )


def add_form(user, **changes):
    return {
        "user": user.pk,
        "name": "Admin Made",
        "redirect_uris": "https://made.example.com/cb\r\nhttp://127.0.0.1:8000/cb",
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "beers:read beers:write",
        **changes,
    }


def test_changelist_shows_owner_name_grants_and_redirect_uris_never_the_secret(admin_client, created, user):
    client, raw_secret = created
    response = admin_client.get(CHANGELIST)
    html = response.content.decode()
    assert response.status_code == 200
    for text in [
        "Tap Room",
        user.username,
        "authorization_code, refresh_token",
        "https://tap.example.com/cb",
    ]:
        assert text in html
    assert raw_secret not in html
    assert Client.objects.get(pk=client.pk).client_secret not in html


def test_changelist_search(admin_client, created, user):
    ClientFactory(name="Other Place")
    html = admin_client.get(CHANGELIST, {"q": "tap room"}).content.decode()
    assert "Tap Room" in html
    assert "Other Place" not in html


def test_change_form_has_no_secret_field(admin_client, created):
    client, raw_secret = created
    response = admin_client.get(f"{CHANGELIST}{client.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="client_secret"' not in html
    assert 'name="hash_client_secret"' not in html
    assert Client.objects.get(pk=client.pk).client_secret not in html
    assert "https://tap.example.com/cb\nhttp://localhost:3000/cb" in html


def test_add_shows_the_new_secret_once_and_stores_its_hash(admin_client, user):
    response = admin_client.post(f"{CHANGELIST}add/", add_form(user))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    client = Client.objects.get(name="Admin Made")
    raw_secret = response.context["rows"][0][1]
    assert raw_secret in response.content.decode()
    assert check_password(raw_secret, client.client_secret)
    assert client.user == user
    assert client.redirect_uris == "https://made.example.com/cb http://127.0.0.1:8000/cb"
    assert client.grant_types == ["authorization_code", "refresh_token"]
    assert client.client_type == Client.CLIENT_CONFIDENTIAL
    # Not in a message or cookie for later pages.
    assert raw_secret not in str(response.cookies)
    assert raw_secret not in admin_client.get(CHANGELIST).content.decode()


def test_add_public_client_redirects_as_usual(admin_client, user):
    response = admin_client.post(
        f"{CHANGELIST}add/",
        add_form(user, token_endpoint_auth_method="none", redirect_uris="com.example.app:/cb"),
    )
    assert response.status_code == 302
    assert Client.objects.get(name="Admin Made").client_type == Client.CLIENT_PUBLIC


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"redirect_uris": "http://made.example.com/cb"}, "uses http"),
        ({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}, "public client"),
        ({"scope": "stats:read"}, "stats:read can only be held"),
        ({"scope": "nope"}, "Unknown scope nope"),
        ({"name": "  "}, "Give the client a name"),
    ],
)
def test_add_refuses_what_the_api_refuses_and_writes_nothing(admin_client, user, changes, message):
    response = admin_client.post(f"{CHANGELIST}add/", add_form(user, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Client.objects.exists()


def test_change_revalidates_and_saves(admin_client, created, user):
    client, _ = created
    path = f"{CHANGELIST}{client.pk}/change/"

    bad = admin_client.post(path, add_form(user, redirect_uris="https://a.example.com/cb#frag"))
    assert bad.status_code == 200
    assert "has a fragment" in bad.content.decode()
    assert Client.objects.get(pk=client.pk).name == "Tap Room"

    switch = admin_client.post(path, add_form(user, token_endpoint_auth_method="none"))
    assert "cannot switch between public" in switch.content.decode()

    good = admin_client.post(path, add_form(user, name="Renamed"))
    assert good.status_code == 302
    assert Client.objects.get(pk=client.pk).name == "Renamed"


def test_rotate_secret_action_shows_new_secrets_once(admin_client, created, user):
    client, old_secret = created
    public = ClientFactory(user=user, token_endpoint_auth_method="none")

    response = admin_client.post(
        CHANGELIST, {"action": "rotate_secret", "_selected_action": [client.pk, public.pk]}, follow=False
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    [(shown_client, new_secret)] = response.context["rows"]
    assert shown_client == client
    assert new_secret in html
    stored = Client.objects.get(pk=client.pk).client_secret
    assert check_password(new_secret, stored)
    assert not check_password(old_secret, stored)
    assert new_secret not in str(response.cookies)
    assert "1 public client has no secret and was skipped." in html
    assert new_secret not in admin_client.get(CHANGELIST).content.decode()


def test_rotate_secret_action_on_confidential_clients_only(admin_client, created):
    client, old_secret = created
    response = admin_client.post(CHANGELIST, {"action": "rotate_secret", "_selected_action": [client.pk]})
    assert response.status_code == 200
    assert "skipped" not in response.content.decode()
    [(_, new_secret)] = response.context["rows"]
    assert check_password(new_secret, Client.objects.get(pk=client.pk).client_secret)


def test_rotate_secret_action_on_public_clients_only_shows_the_list(admin_client, user):
    public = ClientFactory(user=user, token_endpoint_auth_method="none")
    response = admin_client.post(CHANGELIST, {"action": "rotate_secret", "_selected_action": [public.pk]})
    assert response.status_code == 302
    assert Client.objects.get(pk=public.pk).client_secret == public.client_secret


def test_revoke_tokens_action(admin_client, created, user, issue_tokens):
    client, _ = created
    other = ClientFactory(user=user)
    issue_tokens(client, user)
    issue_tokens(other, user)

    response = admin_client.post(
        CHANGELIST, {"action": "revoke_tokens", "_selected_action": [client.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "Revoked 2 tokens." in response.content.decode()
    assert token_counts(client) == (0, 0, 0)
    assert token_counts(other) == (1, 1, 1)


def test_delete_through_the_admin_removes_tokens(admin_client, created, user, issue_tokens):
    client, _ = created
    issue_tokens(client, user)
    response = admin_client.post(f"{CHANGELIST}{client.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Client.objects.filter(pk=client.pk).exists()
    assert token_counts(client) == (0, 0, 0)


def test_bulk_delete_action(admin_client, created, user):
    client, _ = created
    other = ClientFactory(user=user)
    response = admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [client.pk, other.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Client.objects.exists()


def test_staff_without_permission_cannot_see_clients(db, user, signed_in):
    user.is_staff = True
    user.save()
    assert signed_in.get(CHANGELIST).status_code == 403


def test_only_the_admin_grants_introspection_and_first_party_trust(admin_client, created, user, basic_client):
    client, _ = created

    owner_patch = basic_client.patch(
        f"/api/clients/{client.client_id}",
        {"allow_introspection": True, "skip_authorization": True},
        format="json",
    )
    assert owner_patch.status_code == 200
    assert "allow_introspection" not in owner_patch.json()
    assert "skip_authorization" not in owner_patch.json()
    stored = Client.objects.get(pk=client.pk)
    assert (stored.allow_introspection, stored.skip_authorization) == (False, False)

    response = admin_client.post(
        f"{CHANGELIST}{client.pk}/change/",
        add_form(user, name="Tap Room", allow_introspection="on", skip_authorization="on"),
    )
    assert response.status_code == 302
    stored = Client.objects.get(pk=client.pk)
    assert (stored.allow_introspection, stored.skip_authorization) == (True, True)
