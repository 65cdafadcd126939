"""Issue 9 §4: a browser's cached Basic credentials never carry a cross-site form's write.

A cross-site page can send form, multipart or text bodies without a CORS preflight, and the browser
adds the Basic credentials it cached for the site. Each write endpoint must refuse such a body when
the caller signed in by Basic (415, nothing written), and still accept JSON from REST clients.
"""

import pytest
from django.contrib.auth import get_user_model

from lockers.models import Beer
from oauthclients.models import Client
from socialaccounts.models import SocialAccount
from tests.factories import BeerFactory, ClientFactory
from tests.support.http import is_signed_in, signed_in_with_password

pytestmark = pytest.mark.django_db

REFUSED = {"detail": "With HTTP Basic credentials, send writes as application/json."}
FORM = "application/x-www-form-urlencoded"


def send(client, method, path, data, kind):
    """A write as a cross-site ``kind`` of body would arrive: form, multipart or text/plain."""
    call = getattr(client, method)
    if kind == "multipart":
        return call(path, data, format="multipart")
    if kind == "form":
        return call(path, "&".join(f"{k}={v}" for k, v in data.items()), content_type=FORM)
    return call(path, "&".join(f"{k}={v}" for k, v in data.items()), content_type="text/plain")


KINDS = ["form", "multipart", "text"]


def assert_refused(response):
    assert response.status_code == 415
    # text/plain is refused by the parsers already (as for any client); form bodies by the Basic rule.
    assert response.json() in (REFUSED, {"detail": 'Unsupported media type "text/plain" in request.'})


@pytest.mark.parametrize("kind", KINDS)
def test_beer_create(basic_client, user, kind):
    assert_refused(send(basic_client, "post", "/api/beers", {"name": "Planted", "type": "IPA"}, kind))
    assert not Beer.objects.exists()


def test_beer_create_with_json_still_works(basic_client, user):
    response = basic_client.post("/api/beers", {"name": "Mine", "type": "IPA", "quantity": 1}, format="json")
    assert response.status_code == 201
    assert Beer.objects.get().owner == user


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("kind", KINDS)
def test_beer_change_and_delete(basic_client, user, method, kind):
    beer = BeerFactory(owner=user, name="Kept")
    data = {"name": "Changed", "type": "IPA", "quantity": 5}

    assert_refused(send(basic_client, method, f"/api/beers/{beer.pk}", data, kind))

    assert Beer.objects.get(pk=beer.pk).name == "Kept"


def test_beer_delete_without_a_body_still_works(basic_client, user):
    beer = BeerFactory(owner=user)
    assert basic_client.delete(f"/api/beers/{beer.pk}").status_code == 204
    assert not Beer.objects.filter(pk=beer.pk).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_client_register(basic_client, user, kind):
    data = {"client_name": "Evil", "redirect_uris": "https://evil.example/cb"}
    assert_refused(send(basic_client, "post", "/api/clients", data, kind))
    assert not Client.objects.exists()


def test_client_register_with_json_still_works(basic_client, user):
    data = {"client_name": "Mine", "redirect_uris": ["https://mine.example.com/cb"]}
    response = basic_client.post("/api/clients", data, format="json")
    assert response.status_code == 201
    assert Client.objects.get().user == user


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
@pytest.mark.parametrize("kind", KINDS)
def test_client_change_and_delete(basic_client, user, method, kind):
    client = ClientFactory(user=user, name="Kept")
    data = {"client_name": "Evil", "redirect_uris": "https://evil.example/cb"}

    response = send(basic_client, method, f"/api/clients/{client.client_id}", data, kind)

    assert_refused(response)
    stored = Client.objects.get(pk=client.pk)
    assert (stored.name, stored.redirect_uris) == ("Kept", client.redirect_uris)


@pytest.mark.parametrize("kind", KINDS)
def test_client_rotate_secret(basic_client, user, kind):
    client = ClientFactory(user=user)
    assert_refused(send(basic_client, "post", f"/api/clients/{client.client_id}/rotate-secret", {}, kind))
    assert Client.objects.get(pk=client.pk).client_secret == client.client_secret


@pytest.mark.parametrize(
    "browser_headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_ORIGIN": "https://evil.example", "HTTP_SEC_FETCH_SITE": "cross-site"},
    ],
)
def test_client_rotate_secret_with_no_body_from_another_site_is_refused(basic_client, user, browser_headers):
    # fetch(url, {method: "POST", mode: "no-cors", credentials: "include"}) sends no Content-Type,
    # but the browser says where it comes from (Origin on every POST, Sec-Fetch-Site).
    client = ClientFactory(user=user)
    response = basic_client.generic(
        "POST", f"/api/clients/{client.client_id}/rotate-secret", content_type="", **browser_headers
    )
    assert_refused(response)
    assert Client.objects.get(pk=client.pk).client_secret == client.client_secret


def test_client_rotate_secret_with_no_body_and_no_content_type_from_a_rest_client_works(basic_client, user):
    """curl -X POST -u ... (no body, no Content-Type, no Origin): no form can send that."""
    client = ClientFactory(user=user)
    response = basic_client.generic("POST", f"/api/clients/{client.client_id}/rotate-secret", content_type="")
    assert response.status_code == 200, response.content
    assert response.json()["client_secret"]
    assert Client.objects.get(pk=client.pk).client_secret != client.client_secret


def test_sessions_end_others_with_no_body_from_a_rest_client_works(basic_client, user):
    elsewhere = signed_in_with_password(user)
    response = basic_client.generic("POST", "/api/me/sessions/end-others", content_type="")
    assert response.status_code == 200, response.content
    assert response.json() == {"ended": 1}
    assert not is_signed_in(elsewhere)


def test_a_body_less_post_from_this_sites_own_origin_works(basic_client, user):
    client = ClientFactory(user=user)
    response = basic_client.generic(
        "POST",
        f"/api/clients/{client.client_id}/rotate-secret",
        content_type="",
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 200, response.content


def test_an_empty_text_plain_post_is_still_refused(basic_client, user):
    """<form enctype="text/plain"> with no fields: an empty body, but a Content-Type."""
    client = ClientFactory(user=user)
    response = basic_client.generic(
        "POST", f"/api/clients/{client.client_id}/rotate-secret", "", content_type="text/plain"
    )
    assert response.status_code == 415
    assert Client.objects.get(pk=client.pk).client_secret == client.client_secret


@pytest.mark.parametrize("kind", KINDS)
def test_dynamic_client_registration(basic_client, user, kind):
    data = {"client_name": "Evil", "redirect_uris": "https://evil.example/cb"}
    response = send(basic_client, "post", "/api/oauth2/register", data, kind)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert not Client.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_social_account_link(basic_client, user, kind):
    data = {"provider": "github", "access_token": "attackers-provider-token"}
    response = send(basic_client, "post", "/api/me/social-accounts", data, kind)
    if kind == "text":
        assert_refused(response)
    else:
        # A form field named access_token is refused first, as a bearer token outside the header.
        assert response.status_code == 400
        assert response["WWW-Authenticate"].startswith('Bearer realm="api", error="invalid_request"')
    assert not SocialAccount.objects.exists()


def test_social_account_link_with_json_reaches_the_view(basic_client, user):
    response = basic_client.post(
        "/api/me/social-accounts", {"provider": "nope", "access_token": "t"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"access_token": ["Unknown provider."]}


@pytest.mark.parametrize("path", ["/api/me/social-accounts/{pk}", "/api/me/social-accounts/{pk}/refresh"])
@pytest.mark.parametrize("kind", KINDS)
def test_social_account_unlink_and_refresh(basic_client, user, path, kind, settings):
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "TOKEN_ENCRYPTION_KEYS": ["test-key-" + "k" * 40]}
    account = SocialAccount.objects.create(user=user, provider="github", uid="1", id_key="id", extra_data={})
    method = "delete" if path.endswith("{pk}") else "post"

    # With a body: a DELETE without one is no cross-site form (and runserver calls it text/plain).
    assert_refused(send(basic_client, method, path.format(pk=account.pk), {"cross": "site"}, kind))

    assert SocialAccount.objects.get(pk=account.pk).extra_data == {}


@pytest.mark.parametrize("method", ["patch", "delete"])
@pytest.mark.parametrize("kind", KINDS)
def test_users_me(basic_client, user, method, kind):
    assert_refused(send(basic_client, method, "/api/users/me", {"email": "evil@example.com"}, kind))
    stored = get_user_model().objects.get(pk=user.pk)
    assert stored.email == user.email


def test_users_me_with_json_still_works(basic_client, user):
    response = basic_client.patch("/api/users/me", {"email": "new@example.com"}, format="json")
    assert response.status_code == 200
    assert get_user_model().objects.get(pk=user.pk).email == "new@example.com"


def test_a_session_form_post_still_needs_its_csrf_token(user):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post("/api/beers", {"name": "Planted", "type": "IPA"}, format="multipart")
    assert response.status_code == 403
    assert not Beer.objects.exists()
