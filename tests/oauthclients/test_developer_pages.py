"""Developer applications: register, see client_id, secret shown once, edit, rotate, delete."""

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client as BrowserClient
from oauth2_provider.models import get_access_token_model

from oauthclients.models import Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()
CALLBACK = "https://app.example.com/callback"


def registration(**overrides):
    data = {
        "client_name": "Beer Tracker",
        "redirect_uris": f"{CALLBACK}\r\nhttp://localhost:8080/cb",
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "beers:read profile",
    }
    return data | overrides


def register(browser, **overrides):
    """Open the registration form (it carries a one-time token) and send it."""
    token = browser.get("/account/developer/new/").context["submission"]
    return browser.post("/account/developer/new/", {**registration(**overrides), "submission": token})


def rotate(browser, client, **kwargs):
    """Press "Rotate secret" on the client's page (the button carries a one-time token)."""
    token = browser.get(f"/account/developer/{client.client_id}/").context["submission"]
    return browser.post(f"/account/developer/{client.client_id}/rotate/", {"submission": token}, **kwargs)


@pytest.mark.parametrize(
    "path", ["/account/developer/", "/account/developer/new/", "/account/developer/abc/edit/"]
)
def test_pages_need_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={path}"


def test_register_a_confidential_client_shows_its_secret_once(signed_in, user):
    response = register(signed_in)

    assert response.status_code == 200
    client = Client.objects.get()
    secret = response.context["client_secret"]
    body = response.content.decode()
    assert (client.user, client.name) == (user, "Beer Tracker")
    assert client.client_type == Client.CLIENT_CONFIDENTIAL
    assert client.redirect_uris.split() == [CALLBACK, "http://localhost:8080/cb"]
    assert client.grant_types == ["authorization_code", "refresh_token"]
    assert client.scope == "beers:read profile"
    assert secret in body and client.client_id in body
    assert 'data-copy="client-secret"' in body
    assert "no-store" in response["Cache-Control"]
    assert secret not in client.client_secret  # only a hash at rest
    assert check_password(secret, client.client_secret)
    detail = signed_in.get(f"/account/developer/{client.client_id}/").content.decode()
    assert client.client_id in detail
    assert secret not in detail
    assert secret not in signed_in.get("/account/developer/").content.decode()


def test_register_a_public_client_has_no_secret(signed_in):
    response = register(signed_in, token_endpoint_auth_method="none")

    client = Client.objects.get()
    assert response.status_code == 302
    assert response.url == f"/account/developer/{client.client_id}/"
    assert client.client_type == Client.CLIENT_PUBLIC
    assert "a public client has no secret" in signed_in.get(response.url).content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"client_name": ""}, "client_name"),
        ({"redirect_uris": "http://app.example.com/cb"}, "redirect_uris"),
        ({"redirect_uris": "https://app.example.com/*"}, "redirect_uris"),
        ({"redirect_uris": ""}, "redirect_uris"),
        ({"grant_types": []}, "grant_types"),
        ({"grant_types": ["refresh_token"]}, "grant_types"),
        ({"grant_types": ["made_up"]}, "grant_types"),
        ({"token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]}, "grant_types"),
        ({"scope": "beers:read everything"}, "scope"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "token_endpoint_auth_method"),
    ],
)
def test_register_with_what_the_api_refuses_shows_the_error_and_writes_nothing(signed_in, overrides, field):
    response = register(signed_in, **overrides)

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert 'class="errorlist"' in response.content.decode()
    assert not Client.objects.exists()


def test_the_same_rule_gives_the_same_message_as_the_rest_api(signed_in, basic_client):
    page = register(signed_in, redirect_uris="http://app.example.com/cb")
    api = basic_client.post(
        "/api/clients",
        {"client_name": "X", "redirect_uris": ["http://app.example.com/cb"]},
        format="json",
    )

    assert api.status_code == 400
    assert page.context["form"].errors["redirect_uris"] == api.json()["redirect_uris"]


def test_register_without_csrf_is_refused(user):
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(user)

    assert browser.post("/account/developer/new/", registration()).status_code == 403
    assert not Client.objects.exists()


def test_list_shows_only_my_clients(signed_in, user, other_user):
    ClientFactory(user=user, name="Mine")
    ClientFactory(user=other_user, name="Theirs")

    body = signed_in.get("/account/developer/").content.decode()

    assert "Mine" in body
    assert "Theirs" not in body


@pytest.mark.parametrize("action", ["", "edit/", "delete/"])
def test_someone_elses_client_is_a_404(signed_in, other_user, action):
    client = ClientFactory(user=other_user)

    assert signed_in.get(f"/account/developer/{client.client_id}/{action}").status_code == 404


@pytest.mark.parametrize("action", ["edit/", "delete/", "rotate/"])
def test_writing_to_someone_elses_client_is_a_404_and_changes_nothing(signed_in, other_user, action):
    client = ClientFactory(user=other_user, name="Theirs")
    before = Client.objects.values().get()

    response = signed_in.post(f"/account/developer/{client.client_id}/{action}", registration())

    assert response.status_code == 404
    assert Client.objects.values().get() == before


def test_edit_a_client(signed_in, user):
    client = ClientFactory(user=user, name="Old name")

    page = signed_in.get(f"/account/developer/{client.client_id}/edit/")
    response = signed_in.post(
        f"/account/developer/{client.client_id}/edit/",
        registration(client_name="New name", scope="beers:read"),
    )

    client.refresh_from_db()
    assert page.status_code == 200
    assert 'value="Old name"' in page.content.decode()
    assert response.status_code == 302
    assert (client.name, client.scope) == ("New name", "beers:read")


def test_edit_a_key_authenticated_client_keeps_its_keys(signed_in, user):
    from oauthclients import services

    client, _none = services.client_create(
        owner=user,
        client_name="Keyed",
        redirect_uris=["https://keyed.example.com/cb"],
        grant_types=["authorization_code"],
        token_endpoint_auth_method="private_key_jwt",
        jwks_uri="https://keyed.example.com/jwks.json",
    )
    response = signed_in.post(
        f"/account/developer/{client.client_id}/edit/",
        registration(
            client_name="Keyed, renamed",
            redirect_uris="https://keyed.example.com/cb",
            grant_types=["authorization_code"],
            token_endpoint_auth_method="private_key_jwt",
        ),
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.name, client.jwks_uri) == ("Keyed, renamed", "https://keyed.example.com/jwks.json")


def test_edit_refused_changes_nothing(signed_in, user):
    client = ClientFactory(user=user, name="Old name")
    before = Client.objects.values().get()

    response = signed_in.post(
        f"/account/developer/{client.client_id}/edit/",
        registration(client_name="New name", token_endpoint_auth_method="none"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["token_endpoint_auth_method"]
    assert Client.objects.values().get() == before


def test_rotate_shows_a_new_secret_once_and_the_old_one_stops_working(signed_in, user):
    created = register(signed_in)
    client = Client.objects.get()
    old = created.context["client_secret"]

    response = rotate(signed_in, client)

    new = response.context["client_secret"]
    assert response.status_code == 200
    assert new != old and new in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "The old secret no longer works." in response.content.decode()
    client.refresh_from_db()
    assert not check_password(old, client.client_secret)
    assert check_password(new, client.client_secret)
    assert signed_in.get(f"/account/developer/{client.client_id}/rotate/").status_code == 405


def test_rotate_a_public_client_says_why_not(signed_in, user):
    client = ClientFactory(user=user, token_endpoint_auth_method="none")
    before = Client.objects.values().get()

    response = rotate(signed_in, client, follow=True)

    assert "A public client has no secret to rotate." in response.content.decode()
    assert Client.objects.values().get() == before


def test_delete_asks_then_deletes_the_client_and_its_tokens(signed_in, user, access_token):
    client = ClientFactory(user=user, name="Beer Tracker")
    access_token(application=client)

    page = signed_in.get(f"/account/developer/{client.client_id}/delete/")
    assert "Delete Beer Tracker?" in page.content.decode()
    assert Client.objects.exists()
    response = signed_in.post(f"/account/developer/{client.client_id}/delete/")

    assert response.status_code == 302
    assert response.url == "/account/developer/"
    assert not Client.objects.exists()
    assert not AccessToken.objects.exists()


def test_list_takes_a_fixed_number_of_queries(signed_in, user, django_assert_max_num_queries):
    ClientFactory.create_batch(8, user=user)

    with django_assert_max_num_queries(4):
        response = signed_in.get("/account/developer/")

    assert len(response.context["clients"]) == 8


def test_reloading_the_secret_page_does_not_register_a_second_client(signed_in):
    token = signed_in.get("/account/developer/new/").context["submission"]
    form = {**registration(), "submission": token}
    first = signed_in.post("/account/developer/new/", form)

    again = signed_in.post("/account/developer/new/", form, follow=True)

    assert first.status_code == 200
    assert Client.objects.count() == 1
    assert again.redirect_chain == [("/account/developer/", 302)]
    assert "a secret is shown only once" in again.content.decode()
    assert first.context["client_secret"] not in again.content.decode()


def test_reloading_the_rotated_secret_does_not_rotate_it_again(signed_in, user):
    client = ClientFactory(user=user)
    token = signed_in.get(f"/account/developer/{client.client_id}/").context["submission"]
    rotated = signed_in.post(f"/account/developer/{client.client_id}/rotate/", {"submission": token})
    secret = rotated.context["client_secret"]

    again = signed_in.post(
        f"/account/developer/{client.client_id}/rotate/", {"submission": token}, follow=True
    )

    client.refresh_from_db()
    assert check_password(secret, client.client_secret)
    assert again.redirect_chain == [(f"/account/developer/{client.client_id}/", 302)]
    assert "a secret is shown only once" in again.content.decode()


def test_a_form_without_its_one_time_token_changes_nothing(signed_in, user):
    client = ClientFactory(user=user)
    before = Client.objects.values().get()

    created = signed_in.post("/account/developer/new/", registration())
    rotated = signed_in.post(f"/account/developer/{client.client_id}/rotate/")

    assert (created.status_code, rotated.status_code) == (302, 302)
    assert list(Client.objects.values()) == [before]


def test_the_registration_form_lists_every_scope_one_can_ask_for_with_its_description(signed_in, settings):
    page = signed_in.get("/account/developer/new/")

    assert page.status_code == 200
    body = page.content.decode()
    scopes = settings.OAUTH2_PROVIDER["SCOPES"]
    assert len(scopes) >= 5
    for name, description in scopes.items():
        assert f"<li><code>{name}</code>: {description}" in body.replace("&#x27;", "'"), name
    assert "<code>stats:read</code>: " in body and "client credentials, only" in body
    assert "first-party applications only" in body
    # Tied to the field, so a screen reader reads the list with it.
    assert 'aria-describedby="id_scope_helptext"' in body


def test_a_developer_requires_a_second_factor_and_sets_default_acr_values(signed_in, user):
    response = register(
        signed_in,
        minimum_acr="urn:beerlocker:acr:mfa",
        default_acr_values="urn:beerlocker:acr:phr\r\nurn:beerlocker:acr:mfa",
    )
    assert response.status_code == 200, response.content
    client = Client.objects.get(user=user)
    assert client.minimum_acr == "urn:beerlocker:acr:mfa"
    assert client.metadata()["default_acr_values"] == ["urn:beerlocker:acr:phr", "urn:beerlocker:acr:mfa"]
    page = signed_in.get(f"/account/developer/{client.client_id}/").content.decode()
    assert "<code>urn:beerlocker:acr:mfa</code>" in page and "<code>urn:beerlocker:acr:phr</code>" in page


def test_an_unknown_acr_on_the_developer_page_is_refused_and_registers_nothing(signed_in):
    response = register(signed_in, default_acr_values="urn:example:gold")
    assert response.status_code == 200
    assert "is not an acr value of this server" in response.content.decode()
    assert not Client.objects.exists()
