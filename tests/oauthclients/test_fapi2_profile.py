"""The FAPI 2.0 Security Profile (Final) as a client's ``profile`` and as the server-wide
``OAUTHCLIENTS["SECURITY_PROFILE"]``: each rule refused and accepted for a FAPI 2.0 client, and an
ordinary client left as it was; then the whole flow with a client library we did not write
(requests-oauth2client: PAR with private_key_jwt and a DPoP proof, authorize, token with DPoP, a
refresh that is not rotated, userinfo with DPoP)."""

import html
import re
import time
from datetime import timedelta
from urllib.parse import urlencode

import jwt
import pytest
import requests
from django.core.exceptions import ValidationError
from django.utils import timezone
from jwskate import Jwk
from oauth2_provider.models import get_grant_model, get_refresh_token_model
from requests_oauth2client import DPoPKey, DPoPToken, OAuth2Client, PrivateKeyJwt

from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE, IMPLICIT, PASSWORD, REFRESH_TOKEN
from oauthclients.models import AccessTokenBinding, Client, PushedAuthorizationRequest
from tests.factories import PASSWORD as USER_PASSWORD
from tests.factories import REDIRECT_URI, make_client
from tests.support.client_keys import ISSUER, JWT_BEARER, TOKEN_ENDPOINT, ClientKey, public_jwks
from tests.support.dpop import make_proof, new_key
from tests.support.http import client_auth_header, session_approve, session_sign_in
from tests.support.oauth import AUTHORIZE, TOKEN, pkce_pair, query

pytestmark = pytest.mark.django_db

PAR = "/api/oauth2/par"
PAR_URL = "http://testserver/api/oauth2/par"
DISCOVERY = "/api/oauth2/.well-known/openid-configuration"
USERINFO = "/api/oauth2/userinfo"
EC_KEY = ClientKey(alg="ES256", kid="fapi-ec")
PS_KEY = ClientKey(alg="PS256", kid="fapi-ps")
RS_KEY = ClientKey(alg="RS256", kid="fapi-rs")


def register(user, profile="fapi2", **fields):
    """A private_key_jwt client with the three keys, registered through the services."""
    metadata = {
        "owner": user,
        "client_name": "Bank app",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": [AUTHORIZATION_CODE, REFRESH_TOKEN],
        "token_endpoint_auth_method": Client.AuthMethod.PRIVATE_KEY_JWT,
        "scope": "openid beers:read",
        "jwks": public_jwks(EC_KEY, PS_KEY, RS_KEY),
        "profile": profile,
        **fields,
    }
    client, _secret = services.client_create(**metadata)
    return client


@pytest.fixture
def fapi(user):
    return register(user)


@pytest.fixture
def ordinary(user):
    return register(user, profile="")


@pytest.fixture
def server_wide(settings):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "SECURITY_PROFILE": "fapi2"}


def authentication(client, *, key=EC_KEY, audience=ISSUER, **claims) -> dict:
    return {
        "client_assertion_type": JWT_BEARER,
        "client_assertion": key.assertion(client.client_id, audience=audience, **claims),
    }


def push(api_client, client, *, key=EC_KEY, audience=ISSUER, dpop_key=None, pkce=True, **params):
    """POST an authorization request to the PAR endpoint as ``client`` (private_key_jwt)."""
    verifier, challenge = pkce_pair()
    data = {
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid beers:read",
        "state": "fapi-state",
        "nonce": "fapi-nonce",
        **({"code_challenge": challenge, "code_challenge_method": "S256"} if pkce else {}),
        **params,
        **authentication(client, key=key, audience=audience),
    }
    headers = {"HTTP_DPOP": make_proof(dpop_key, htm="POST", htu=PAR_URL)} if dpop_key is not None else {}
    response = api_client.post(
        PAR, {name: value for name, value in data.items() if value is not None}, **headers
    )
    response.verifier = verifier
    return response


def allow(browser, request_uri, client):
    """Open the pushed request's consent page and press Allow: the redirect response."""
    page = browser.get(
        f"{AUTHORIZE}?{urlencode({'client_id': client.client_id, 'request_uri': request_uri})}"
    )
    assert page.status_code == 200, page.content
    form = {field: page.context["form"][field].value() or "" for field in page.context["form"].fields}
    form["allow"] = "Allow"
    action = html.unescape(
        re.search(r'<form id="authorizationForm"[^>]* action="([^"]*)"', page.content.decode())[1]
    )
    return browser.post(action, {name: value for name, value in form.items() if value != ""})


def code_for(api_client, browser, client, dpop_key):
    """Push (with a proof: the code is bound to ``dpop_key``), allow: (code, PKCE verifier)."""
    pushed = push(api_client, client, dpop_key=dpop_key)
    assert pushed.status_code == 201, pushed.content
    answer = allow(browser, pushed.json()["request_uri"], client)
    assert answer.status_code == 303
    return query(answer["Location"])["code"], pushed.verifier


def token_call(api_client, client, dpop_key=None, *, alg="ES256", key=EC_KEY, audience=ISSUER, **data):
    headers = {}
    if dpop_key is not None:
        headers["HTTP_DPOP"] = make_proof(dpop_key, alg=alg, htm="POST", htu=TOKEN_ENDPOINT)
    body = {**data, **authentication(client, key=key, audience=audience)}
    return api_client.post(TOKEN, body, **headers)


def exchange(api_client, client, code, verifier, dpop_key=None, **kwargs):
    return token_call(
        api_client,
        client,
        dpop_key,
        grant_type=AUTHORIZATION_CODE,
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
        **kwargs,
    )


# --- Registration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"token_endpoint_auth_method": "client_secret_basic", "jwks": None}, "token_endpoint_auth_method"),
        ({"grant_types": [AUTHORIZATION_CODE, IMPLICIT]}, "grant_types"),
        ({"id_token_signed_response_alg": "RS256"}, "id_token_signed_response_alg"),
        ({"userinfo_signed_response_alg": "RS256"}, "userinfo_signed_response_alg"),
        ({"request_object_signing_alg": "RS256"}, "request_object_signing_alg"),
    ],
    ids=["client secret", "implicit", "RS256 ID tokens", "RS256 userinfo", "RS256 request objects"],
)
def test_registration_refuses_what_the_profile_forbids_and_writes_nothing(user, settings, changes, field):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ALLOW_IMPLICIT_GRANT": True}
    with pytest.raises(ValidationError) as refused:
        register(user, **changes)
    assert "FAPI 2.0" in " ".join(refused.value.message_dict[field])
    assert not Client.objects.exists()
    # The same registration without the profile is an ordinary client.
    assert register(user, profile="", **changes).profile == ""


def test_registration_fills_in_what_the_profile_implies(fapi, ordinary):
    assert fapi.profile == "fapi2"
    assert fapi.dpop_bound_access_tokens is True
    assert fapi.require_pushed_authorization_requests is True
    assert fapi.algorithm == "PS256"  # ID tokens: PS256 unless the client chose ES256
    assert (ordinary.dpop_bound_access_tokens, ordinary.require_pushed_authorization_requests) == (
        False,
        False,
    )
    assert ordinary.algorithm == "RS256"
    assert register(fapi.user, id_token_signed_response_alg="ES256").algorithm == "ES256"


def test_dynamic_registration_takes_the_profile_and_returns_it(basic_client):
    body = {
        "client_name": "Bank app",
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": public_jwks(EC_KEY),
        "profile": "fapi2",
    }
    registered = basic_client.post("/api/oauth2/register", body, format="json")
    assert registered.status_code == 201, registered.json()
    answer = registered.json()
    assert answer["profile"] == "fapi2"
    assert answer["id_token_signed_response_alg"] == "PS256"
    assert answer["dpop_bound_access_tokens"] is True

    refused = basic_client.post(
        "/api/oauth2/register", {**body, "token_endpoint_auth_method": "client_secret_basic"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_client_metadata"
    assert Client.objects.count() == 1


def test_the_developer_page_turns_the_profile_on_for_a_keyed_client(signed_in, ordinary):
    form = {
        "client_name": "Bank app",
        "redirect_uris": REDIRECT_URI,
        "grant_types": [AUTHORIZATION_CODE, REFRESH_TOKEN],
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": "openid beers:read",
        "profile": "fapi2",
    }
    edit = f"/account/developer/{ordinary.client_id}/edit/"

    refused = signed_in.post(edit, {**form, "id_token_signed_response_alg": "RS256"})
    assert refused.status_code == 200
    assert "FAPI 2.0" in refused.content.decode()
    ordinary.refresh_from_db()
    assert ordinary.profile == ""

    saved = signed_in.post(edit, {**form, "id_token_signed_response_alg": "ES256"})
    assert saved.status_code == 302
    ordinary.refresh_from_db()
    assert (ordinary.profile, ordinary.algorithm, ordinary.dpop_bound_access_tokens) == (
        "fapi2",
        "ES256",
        True,
    )
    assert ordinary.require_pushed_authorization_requests is True


def test_the_server_wide_switch_holds_every_new_registration_to_the_profile(user, server_wide):
    with pytest.raises(ValidationError):
        services.client_create(
            owner=user,
            client_name="Plain",
            redirect_uris=[REDIRECT_URI],
            grant_types=[AUTHORIZATION_CODE],
            token_endpoint_auth_method=Client.AuthMethod.CLIENT_SECRET_BASIC,
            scope="beers:read",
        )
    assert not Client.objects.exists()
    assert register(user, profile="").is_fapi2


# --- Client authentication ------------------------------------------------------------------------


def test_a_fapi_client_assertion_names_the_issuer_only_an_ordinary_one_any_of_our_endpoints(
    api_client, fapi, ordinary
):
    for audience in (TOKEN_ENDPOINT, PAR_URL, [ISSUER]):
        refused = push(api_client, fapi, audience=audience)
        assert refused.status_code == 401, audience
        assert refused.json()["error"] == "invalid_client"
        assert push(api_client, ordinary, audience=audience).status_code == 201
    assert push(api_client, fapi, audience=ISSUER).status_code == 201
    assert push(api_client, ordinary, audience=ISSUER).status_code == 201
    assert PushedAuthorizationRequest.objects.filter(client=fapi).count() == 1


def test_a_fapi_client_assertion_is_signed_ps256_or_es256(api_client, fapi, ordinary):
    refused = push(api_client, fapi, key=RS_KEY)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert push(api_client, ordinary, key=RS_KEY).status_code == 201
    assert push(api_client, fapi, key=PS_KEY).status_code == 201


@pytest.mark.parametrize(("ahead", "accepted"), [(8, True), (55, True), (90, False)])
def test_assertion_iat_and_nbf_up_to_60_seconds_ahead_are_accepted(
    api_client, fapi, ordinary, ahead, accepted
):
    later = int(time.time()) + ahead
    for client in (fapi, ordinary):
        data = {
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid beers:read",
            "code_challenge": pkce_pair()[1],
            "code_challenge_method": "S256",
            **authentication(client, iat=later, nbf=later, exp=later + 60),
        }
        response = api_client.post(PAR, data)
        assert response.status_code == (201 if accepted else 401), response.content


def test_with_the_switch_on_an_existing_secret_client_no_longer_authenticates_with_its_secret(
    api_client, settings
):
    client, secret = make_client(scope="openid beers:read")
    data = {"response_type": "code", "redirect_uri": REDIRECT_URI, "scope": "beers:read"}
    assert (
        api_client.post(PAR, data, HTTP_AUTHORIZATION=client_auth_header(client, secret)).status_code == 201
    )

    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "SECURITY_PROFILE": "fapi2"}
    refused = api_client.post(PAR, data, HTTP_AUTHORIZATION=client_auth_header(client, secret))

    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"


# --- The authorization request --------------------------------------------------------------------


def test_a_fapi_client_must_push_its_requests(signed_in, fapi, ordinary):
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid beers:read",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    refused = signed_in.get(f"{AUTHORIZE}?{urlencode({**params, 'client_id': fapi.client_id})}")
    assert refused.status_code == 302
    assert query(refused["Location"])["error"] == "invalid_request"
    assert query(refused["Location"])["iss"] == ISSUER  # RFC 9207, errors too
    page = signed_in.get(f"{AUTHORIZE}?{urlencode({**params, 'client_id': ordinary.client_id})}")
    assert page.status_code == 200


def test_a_fapi_client_must_send_a_pkce_challenge(api_client, fapi, ordinary):
    refused = push(api_client, fapi, pkce=False)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"
    assert "code challenge" in refused.json()["error_description"].lower()
    assert push(api_client, ordinary, pkce=False).status_code == 201  # confidential: PKCE optional
    assert not PushedAuthorizationRequest.objects.filter(client=fapi).exists()


def test_a_fapi_client_names_its_redirect_uri_in_each_push(api_client, fapi, ordinary):
    without = {"scope": "beers:read", "redirect_uri": None}  # plain OAuth: the registered one
    refused = push(api_client, fapi, **without)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"
    assert "redirect_uri" in refused.json()["error_description"]
    assert push(api_client, ordinary, **without).status_code == 201
    assert not PushedAuthorizationRequest.objects.filter(client=fapi).exists()


def test_a_fapi_client_asks_for_a_code_only(api_client, settings, user):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ALLOW_IMPLICIT_GRANT": True}
    hybrid = register(user, profile="", grant_types=[AUTHORIZATION_CODE, IMPLICIT])
    assert push(api_client, hybrid, response_type="code id_token").status_code == 201

    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "SECURITY_PROFILE": "fapi2"}
    refused = push(api_client, hybrid, response_type="code id_token")
    assert refused.status_code == 400
    assert refused.json()["error"] == "unauthorized_client"


def test_a_fapi_client_signs_dpop_proofs_at_the_push_with_ps256_or_es256(api_client, fapi, ordinary):
    rsa = new_key("RS256")
    data = {
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid beers:read",
        "code_challenge": pkce_pair()[1],
        "code_challenge_method": "S256",
    }
    for client, status in ((fapi, 400), (ordinary, 201)):
        response = api_client.post(
            PAR,
            {**data, **authentication(client)},
            HTTP_DPOP=make_proof(rsa, alg="RS256", htm="POST", htu=PAR_URL),
        )
        assert response.status_code == status, response.content
        if status == 400:
            assert response.json()["error"] == "invalid_dpop_proof"
    assert not PushedAuthorizationRequest.objects.filter(client=fapi).exists()


# --- The token endpoint ---------------------------------------------------------------------------


def test_a_fapi_token_request_needs_a_dpop_proof_signed_ps256_or_es256(api_client, signed_in, fapi):
    key = new_key()
    code, verifier = code_for(api_client, signed_in, fapi, key)

    without = exchange(api_client, fapi, code, verifier)
    assert without.status_code == 400
    assert without.json()["error"] == "invalid_dpop_proof"
    rsa = new_key("RS256")
    headers = {"HTTP_DPOP": make_proof(rsa, alg="RS256", htm="POST", htu=TOKEN_ENDPOINT)}
    body = {
        "grant_type": AUTHORIZATION_CODE,
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        **authentication(fapi),
    }
    rs256 = api_client.post(TOKEN, body, **headers)
    assert rs256.status_code == 400
    assert rs256.json()["error"] == "invalid_dpop_proof"
    assert not AccessTokenBinding.objects.exists()

    tokens = exchange(api_client, fapi, code, verifier, key)
    assert tokens.status_code == 200, tokens.content
    assert tokens.json()["token_type"] == "DPoP"
    assert AccessTokenBinding.objects.get().jkt == key.thumbprint()


def test_an_ordinary_client_still_gets_bearer_tokens_without_a_proof(api_client, signed_in, ordinary):
    pushed = push(api_client, ordinary)
    code = query(allow(signed_in, pushed.json()["request_uri"], ordinary)["Location"])["code"]
    tokens = exchange(api_client, ordinary, code, pushed.verifier)
    assert tokens.status_code == 200, tokens.content
    assert tokens.json()["token_type"] == "Bearer"


def test_fapi_codes_live_60_seconds_at_most(api_client, signed_in, fapi, ordinary, settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600}
    for client in (fapi, ordinary):
        pushed = push(api_client, client)
        assert allow(signed_in, pushed.json()["request_uri"], client).status_code == 303
    grants = {
        grant.application_id: grant.expires - timezone.now() for grant in get_grant_model().objects.all()
    }
    assert grants[fapi.pk] <= timedelta(seconds=60)
    assert grants[ordinary.pk] > timedelta(seconds=500)


def test_a_fapi_client_has_no_password_grant(api_client, settings, user):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ALLOW_PASSWORD_GRANT": True}
    client = register(user, profile="", grant_types=[PASSWORD])
    data = {
        "grant_type": PASSWORD,
        "username": user.username,
        "password": USER_PASSWORD,
        "scope": "beers:read",
    }
    assert token_call(api_client, client, **data).status_code == 200

    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "SECURITY_PROFILE": "fapi2"}
    refused = token_call(api_client, client, new_key(), **data)
    assert refused.status_code == 400
    assert refused.json()["error"] == "unauthorized_client"


def test_a_fapi_refresh_token_is_not_rotated_an_ordinary_one_is(api_client, signed_in, fapi, ordinary):
    key = new_key()
    code, verifier = code_for(api_client, signed_in, fapi, key)
    first = exchange(api_client, fapi, code, verifier, key).json()

    again = token_call(api_client, fapi, key, grant_type=REFRESH_TOKEN, refresh_token=first["refresh_token"])
    assert again.status_code == 200, again.content
    assert again.json()["refresh_token"] == first["refresh_token"]
    assert again.json()["access_token"] != first["access_token"]
    assert again.json()["token_type"] == "DPoP"
    # A retry with the same refresh token (a lost response) still works, with a new key even.
    other = new_key()
    retry = token_call(
        api_client, fapi, other, grant_type=REFRESH_TOKEN, refresh_token=first["refresh_token"]
    )
    assert retry.status_code == 200, retry.content
    assert AccessTokenBinding.objects.get(access_token__application=fapi).jkt == other.thumbprint()
    assert get_refresh_token_model().objects.filter(application=fapi, revoked__isnull=True).count() == 1
    # The access token before the refresh is gone (its row carries the new value).
    old = signed_in.get(USERINFO, HTTP_AUTHORIZATION=f"DPoP {first['access_token']}")
    assert old.status_code == 401

    pushed = push(api_client, ordinary)
    code = query(allow(signed_in, pushed.json()["request_uri"], ordinary)["Location"])["code"]
    plain = exchange(api_client, ordinary, code, pushed.verifier).json()
    rotated = token_call(api_client, ordinary, grant_type=REFRESH_TOKEN, refresh_token=plain["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != plain["refresh_token"]


def test_a_jwt_access_token_a_refresh_replaced_is_refused_by_the_api(api_client, signed_in, user):
    client = register(user, access_token_format="jwt")
    key = new_key()
    code, verifier = code_for(api_client, signed_in, client, key)
    first = exchange(api_client, client, code, verifier, key).json()

    def beers(token):
        proof = make_proof(key, htm="GET", htu="http://testserver/api/beers", token=token)
        return api_client.get("/api/beers", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)

    assert first["access_token"].count(".") == 2  # a JWT
    assert beers(first["access_token"]).status_code == 200
    again = token_call(
        api_client, client, key, grant_type=REFRESH_TOKEN, refresh_token=first["refresh_token"]
    )
    assert again.status_code == 200, again.content

    assert beers(again.json()["access_token"]).status_code == 200
    assert beers(first["access_token"]).status_code == 401


# --- Request objects ------------------------------------------------------------------------------


def request_object(client, key=EC_KEY, **offsets):
    """A request object signed with ``key``; ``offsets`` set time claims to now plus that many
    seconds (None leaves the claim out)."""
    now = int(time.time())
    claims = {name: None if offset is None else now + offset for name, offset in offsets.items()}
    payload = {
        "iss": client.client_id,
        "aud": ISSUER,
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid beers:read",
        "code_challenge": pkce_pair()[1],
        "code_challenge_method": "S256",
        "nbf": now,
        "exp": now + 300,
        **claims,
    }
    return key.sign({name: value for name, value in payload.items() if value is not None})


@pytest.mark.parametrize(
    ("key", "claims", "fapi_accepted", "ordinary_accepted"),
    [
        (PS_KEY, {}, True, True),
        (RS_KEY, {}, False, True),
        (EC_KEY, {"exp": 2 * 3600}, False, True),
        (EC_KEY, {"nbf": None}, False, True),
        (EC_KEY, {"nbf": 90}, False, False),
        (EC_KEY, {"iat": 8, "nbf": 8}, True, True),
    ],
    ids=["PS256", "RS256", "exp two hours after nbf", "no nbf", "nbf 90 s ahead", "iat 8 s ahead"],
)
def test_request_objects_follow_the_profiles_rules(
    api_client, fapi, ordinary, key, claims, fapi_accepted, ordinary_accepted
):
    for client, accepted in ((fapi, fapi_accepted), (ordinary, ordinary_accepted)):
        body = {"request": request_object(client, key, **claims), **authentication(client)}
        response = api_client.post(PAR, body)
        assert response.status_code == (201 if accepted else 400), (client.profile, response.content)
        if not accepted:
            assert response.json()["error"] == "invalid_request_object"


# --- Every client -----------------------------------------------------------------------------------


def test_the_answer_to_the_consent_form_is_303_see_other_with_iss(api_client, signed_in, ordinary):
    pushed = push(api_client, ordinary)
    answer = allow(signed_in, pushed.json()["request_uri"], ordinary)
    assert answer.status_code == 303
    assert query(answer["Location"])["iss"] == ISSUER


def test_errors_never_redirect_to_an_unregistered_redirect_uri(api_client, signed_in, fapi):
    evil = "https://evil.example/cb"
    pushed = push(api_client, fapi, redirect_uri=evil)
    assert pushed.status_code == 400
    assert pushed.json()["error"] == "invalid_request"
    plain = {"client_id": fapi.client_id, "response_type": "code", "redirect_uri": evil}
    page = signed_in.get(f"{AUTHORIZE}?{urlencode(plain)}")
    assert page.status_code == 400
    assert not page.has_header("Location")
    pushed_elsewhere = {"client_id": fapi.client_id, "request_uri": "urn:ietf:params:oauth:request_uri:x"}
    unknown = signed_in.get(f"{AUTHORIZE}?{urlencode(pushed_elsewhere)}")
    assert unknown.status_code == 400
    assert not unknown.has_header("Location")


# --- Discovery ----------------------------------------------------------------------------------------


def test_discovery_says_only_what_the_profile_allows_when_it_is_server_wide(api_client, settings):
    ordinary = api_client.get(DISCOVERY).json()
    assert "client_secret_basic" in ordinary["token_endpoint_auth_methods_supported"]
    assert ordinary["require_pushed_authorization_requests"] is False

    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "SECURITY_PROFILE": "fapi2"}
    for path in (DISCOVERY, "/api/oauth2/.well-known/oauth-authorization-server"):
        document = api_client.get(path).json()
        assert document["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
        assert document["token_endpoint_auth_signing_alg_values_supported"] == ["PS256", "ES256"]
        assert document["require_pushed_authorization_requests"] is True
        assert document["response_types_supported"] == ["code"]
        assert set(document["dpop_signing_alg_values_supported"]) == {"PS256", "ES256"}
        assert document["authorization_response_iss_parameter_supported"] is True
        assert document["code_challenge_methods_supported"] == ["S256"]
        assert "implicit" not in document["grant_types_supported"]
    openid = api_client.get(DISCOVERY).json()
    assert set(openid["id_token_signing_alg_values_supported"]) <= {"PS256", "ES256"}
    assert "RS256" not in openid["request_object_signing_alg_values_supported"]


# --- The whole flow, with a client library we did not write -------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_fapi2_flow_with_requests_oauth2client(live_server, user, settings):
    settings.SESSION_COOKIE_SECURE = False  # the live server speaks plain http
    settings.CSRF_COOKIE_SECURE = False
    base = live_server.url
    issuer = f"{base}/api/oauth2"
    private = Jwk.generate(alg="ES256", kid="bank-app")
    client, _ = services.client_create(
        owner=user,
        client_name="Bank app",
        redirect_uris=[REDIRECT_URI],
        grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN],
        token_endpoint_auth_method=Client.AuthMethod.PRIVATE_KEY_JWT,
        scope="openid beers:read",
        jwks={"keys": [private.public_jwk().to_dict()]},
        id_token_signed_response_alg="ES256",
        profile="fapi2",
    )
    oauth = OAuth2Client.from_discovery_endpoint(
        f"{issuer}/.well-known/openid-configuration",
        issuer=issuer,
        # FAPI 2.0 §5.3.2.1: the assertion's audience is the issuer, as a string.
        auth=PrivateKeyJwt(client.client_id, private, alg="ES256", aud=issuer),
        redirect_uri=REDIRECT_URI,
        dpop_bound_access_tokens=True,
        testing=True,
    )
    request = oauth.authorization_request(scope="openid beers:read", dpop=True)
    pushed = oauth.pushed_authorization_request(request)
    assert ["dpop_jkt", request.dpop_jkt] in PushedAuthorizationRequest.objects.get().parameters
    browser = requests.Session()
    session_sign_in(browser, base, user, USER_PASSWORD)
    response = request.validate_callback(session_approve(browser, pushed.uri))  # state and iss
    token = oauth.authorization_code(response, validate=False)  # the DPoP key: see test_dpop_live
    assert isinstance(token, DPoPToken)
    assert token.token_type == "DPoP"
    assert AccessTokenBinding.objects.get().jkt == token.dpop_key.dpop_jkt

    refreshed = oauth.refresh_token(token)
    assert isinstance(refreshed, DPoPToken)
    assert refreshed.refresh_token == token.refresh_token  # not rotated
    assert refreshed.access_token != token.access_token

    userinfo = requests.get(f"{issuer}/userinfo", auth=refreshed, timeout=10)
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == str(user.pk)
    beers = requests.get(f"{base}/api/beers", auth=refreshed, timeout=10)
    assert beers.status_code == 200, beers.text
    # The token without its proof (a thief's Bearer) is refused.
    stolen = requests.get(
        f"{base}/api/beers", headers={"Authorization": f"Bearer {refreshed.access_token}"}, timeout=10
    )
    assert stolen.status_code == 401
    assert isinstance(token.dpop_key, DPoPKey)
    browser.close()
    oauth.session.close()


def test_with_the_switch_on_a_public_client_no_longer_gets_tokens(api_client, settings):
    client, _ = make_client(secret=False, scope="openid beers:read")
    data = {
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "beers:read",
        "client_id": client.client_id,
        "code_challenge": pkce_pair()[1],
        "code_challenge_method": "S256",
    }
    assert api_client.post(PAR, data).status_code == 201

    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "SECURITY_PROFILE": "fapi2"}
    refused = api_client.post(PAR, data)

    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"


def test_a_server_wide_profile_the_server_does_not_know_fails_the_system_check(settings):
    from oauthclients.apps import signing_keys_check

    assert "oauthclients.E006" not in [error.id for error in signing_keys_check(None)]
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "SECURITY_PROFILE": "fapi1"}
    assert "oauthclients.E006" in [error.id for error in signing_keys_check(None)]


def test_with_the_switch_on_a_client_registered_for_rs256_gets_ps256_signatures(
    api_client, signed_in, user, settings
):
    """FAPI 2.0 §5.4.1 (PS256, ES256 or EdDSA only) holds for a client registered RS256 before the
    server-wide switch: its ID tokens and signed userinfo come signed PS256 (the same RSA key)."""
    client = register(user, profile="", userinfo_signed_response_alg="RS256")
    assert client.algorithm == "RS256"
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "SECURITY_PROFILE": "fapi2"}
    key = new_key()

    code, verifier = code_for(api_client, signed_in, client, key)
    tokens = exchange(api_client, client, code, verifier, key).json()
    userinfo = signed_in.get(
        USERINFO,
        HTTP_AUTHORIZATION=f"DPoP {tokens['access_token']}",
        HTTP_DPOP=make_proof(key, htu=f"http://testserver{USERINFO}", token=tokens["access_token"]),
    )

    assert jwt.get_unverified_header(tokens["id_token"])["alg"] == "PS256"
    assert userinfo.status_code == 200, userinfo.content
    assert userinfo["Content-Type"].startswith("application/jwt")
    assert jwt.get_unverified_header(userinfo.content.decode())["alg"] == "PS256"
