"""The authorization-code flow in a project with oauthclients alone (tests.standalone settings).

Run by tests/oauthclients/test_standalone.py in a fresh pytest process with
``--ds=tests.standalone.oauthclients_settings`` and no conftest. Not named test_*.py, so the main
suite never collects it under the main settings.
"""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, identify_hasher
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, PASSWORD, TokenEndpointAuthMethod

REDIRECT_URI = "https://app.example.com/callback"


@pytest.mark.django_db
def test_authorization_code_flow_with_pkce_reaches_a_protected_endpoint(client):
    user = get_user_model().objects.create_user("ann", password=secrets.token_urlsafe())
    app, _secret = services.client_create(
        owner=user,
        client_name="Standalone App",
        redirect_uris=[REDIRECT_URI],
        grant_types=[AUTHORIZATION_CODE],
        token_endpoint_auth_method=TokenEndpointAuthMethod.NONE,
        scope="openid clients",
    )
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    client.force_login(user)

    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid clients",
        "state": "s-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = client.get(f"/api/oauth2/authorize?{urlencode(params)}")
    assert page.status_code == 200, page.content
    assert b"Standalone App" in page.content
    form = {name: page.context["form"][name].value() or "" for name in page.context["form"].fields}
    form["allow"] = "Authorize"
    consent = client.post("/api/oauth2/authorize", {k: v for k, v in form.items() if v != ""})
    assert consent.status_code == 303, consent.content
    location = urlsplit(consent["Location"])
    answer = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    assert answer["state"] == "s-1"
    # RFC 9207: the authorization response names the issuer, with no line of the project's settings.
    assert answer["iss"] == "http://testserver/api/oauth2"

    api = APIClient()
    token = api.post(
        "/api/oauth2/token",
        {
            "grant_type": AUTHORIZATION_CODE,
            "code": answer["code"],
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.content
    assert token.json()["scope"] == "openid clients"
    assert token.json()["id_token"].count(".") == 2  # OIDC on, signed with the key file's key

    assert api.get("/api/clients").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}")
    listed = api.get("/api/clients")
    assert listed.status_code == 200, listed.content
    assert [row["client_name"] for row in listed.json()["results"]] == ["Standalone App"]


@pytest.mark.django_db
def test_the_apps_defaults_secure_a_project_that_sets_none_of_them(client):
    user = get_user_model().objects.create_user("bob", password=secrets.token_urlsafe())
    # Code-only grants: the password grant cannot even be registered.
    with pytest.raises(ValidationError):
        services.client_create(
            owner=user, client_name="Legacy", redirect_uris=[], grant_types=[PASSWORD], scope="clients"
        )
    # The fast client-secret hasher, appended to this project's PASSWORD_HASHERS by the app.
    machine, secret = services.client_create(
        owner=user, client_name="Machine", redirect_uris=[], grant_types=[CLIENT_CREDENTIALS], scope="clients"
    )
    assert identify_hasher(machine.client_secret).algorithm == "hmac_sha256_client_secret"
    assert check_password(secret, machine.client_secret)
    # PKCE S256 only: a public client's "plain" challenge is refused.
    public, _none = services.client_create(
        owner=user,
        client_name="Public",
        redirect_uris=[REDIRECT_URI],
        grant_types=[AUTHORIZATION_CODE],
        token_endpoint_auth_method=TokenEndpointAuthMethod.NONE,
        scope="clients",
    )
    client.force_login(user)
    params = {"response_type": "code", "client_id": public.client_id, "redirect_uri": REDIRECT_URI}
    plain_challenge = {**params, "code_challenge": "x" * 43, "code_challenge_method": "plain"}
    plain = client.get(f"/api/oauth2/authorize?{urlencode(plain_challenge)}")
    missing = client.get(f"/api/oauth2/authorize?{urlencode(params)}")
    for refused in (plain, missing):
        assert refused.status_code == 302, refused.content
        assert "error=invalid_request" in refused["Location"]
