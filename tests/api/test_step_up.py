"""Step-up at the API (issue 21, RFC 9470): a scope that needs a stronger or a more recent sign-in
answers a token whose sign-in falls short with 401 ``insufficient_user_authentication``, naming
``acr_values`` and ``max_age``; the token the client gets after stepping up passes. Opaque and JWT
access tokens alike, and without a query of its own."""

import hashlib
import re
import time
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import get_access_token_model

from lockers.models import Beer
from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, DEVICE_CODE, PASSWORD, REFRESH_TOKEN
from oauthclients.models import AccessTokenBinding, AccessTokenSignIn, DeviceGrantSignIn
from oauthclients.oauth2.oidc import authn
from personaltokens.services import scope_choices, token_create
from tests.factories import PASSWORD as USER_PASSWORD
from tests.factories import make_client
from tests.support.dpop import make_proof, new_key
from tests.support.http import bearer_api, signed_in_with_password
from tests.support.oauth import (
    INTROSPECT,
    authorize_url,
    client_post,
    exchange_code,
    mint_tokens,
    query,
    refresh,
    token_request,
    user_tokens,
)
from tests.support.otp import add_authenticator, code

pytestmark = pytest.mark.django_db

BEERS = "/api/beers"
BEER = {"name": "Orval", "type": "Trappist", "quantity": 1}
SCOPE = "beers:read beers:write"
LEVEL_DESCRIPTION = "A stronger sign-in is required: sign in again with the level named in acr_values."
RECENT_DESCRIPTION = "A more recent sign-in is required: sign in again within max_age seconds."
MFA_CHALLENGE = (
    'Bearer realm="api", error="insufficient_user_authentication", '
    f'error_description="{LEVEL_DESCRIPTION}", acr_values="{authn.ACR_MFA}"'
)


@pytest.fixture(autouse=True)
def _no_device_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def step_up(settings, requirements):
    settings.BEERLOCKER_API = {**settings.BEERLOCKER_API, "STEP_UP_SCOPES": requirements}


@pytest.fixture
def writes_need_mfa(settings):
    step_up(settings, {"beers:write": {"acr": authn.ACR_MFA}})


@pytest.fixture
def app():
    return make_client(scope=SCOPE, grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN, PASSWORD])


@pytest.fixture
def jwt_app():
    return make_client(
        scope=SCOPE, grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN], access_token_format="jwt"
    )


@pytest.fixture
def totp_user(user):
    """``user`` with an authenticator app: its key."""
    key, _codes = add_authenticator(signed_in_with_password(user))
    return key


def password_sign_in(user):
    return signed_in_with_password(user)


def mfa_sign_in(user, key):
    """A browser that signed in with the password and then the app's code (the real second step)."""
    browser = signed_in_with_password(user)  # the password step; the verify page waits
    response = browser.post("/accounts/login/verify/", {"token": code(key, 1)})
    assert response.status_code == 302, response.content
    assert browser.session[authn.SESSION_ACR] == authn.ACR_MFA
    return browser


def tokens(browser, api_client, client_and_secret):
    """The authorization-code flow in ``browser``: the consent page, or straight back to the
    client when the user allowed these scopes before (a remembered consent)."""
    client, secret = client_and_secret
    page = browser.get(authorize_url(client, scope=SCOPE))
    if page.status_code == 200:
        return user_tokens(browser, api_client, client, secret, scope=SCOPE)
    assert page.status_code == 302, page.content
    response = exchange_code(api_client, client, secret, query(page["Location"])["code"])
    assert response.status_code == 200, response.content
    return response.json()


def checksum(token):
    return hashlib.sha256(token.encode()).hexdigest()


def write(token, **headers):
    return bearer_api(token).post(BEERS, BEER, format="json", **headers)


# --- The challenge ---------------------------------------------------------------------------------


def test_a_password_sign_ins_token_gets_the_challenge_and_writes_nothing(
    user, app, api_client, writes_need_mfa
):
    token = tokens(password_sign_in(user), api_client, app)["access_token"]

    response = write(token)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == MFA_CHALLENGE
    assert response.json() == {"detail": LEVEL_DESCRIPTION}
    assert not Beer.objects.exists()
    # A scope without a requirement keeps working with the same token.
    assert bearer_api(token).get(BEERS).status_code == 200


def test_after_stepping_up_the_new_token_passes(user, app, api_client, writes_need_mfa):
    weak = tokens(password_sign_in(user), api_client, app)["access_token"]
    assert write(weak).status_code == 401
    # The user adds an authenticator app and signs in with the password and its code.
    key, _codes = add_authenticator(signed_in_with_password(user))

    strong = tokens(mfa_sign_in(user, key), api_client, app)["access_token"]

    response = write(strong)
    assert response.status_code == 201, response.content
    assert Beer.objects.get().owner == user
    stored = AccessTokenSignIn.objects.get(access_token__token_checksum=checksum(strong))
    assert stored.acr == authn.ACR_MFA
    assert abs(stored.auth_time.timestamp() - time.time()) < 60
    assert write(weak).status_code == 401  # the old token stays what it was


def test_a_higher_level_satisfies_a_lower_one(user, totp_user, app, api_client, settings):
    step_up(settings, {"beers:write": {"acr": authn.ACR_PASSWORD}})

    token = tokens(mfa_sign_in(user, totp_user), api_client, app)["access_token"]

    assert write(token).status_code == 201
    # A one-time code is no passkey: the phishing-resistant level is asked for by name.
    step_up(settings, {"beers:write": {"acr": authn.ACR_PHR}})
    refused = write(token)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == MFA_CHALLENGE.replace(authn.ACR_MFA, authn.ACR_PHR)
    assert Beer.objects.count() == 1


def test_a_sign_in_older_than_max_age_gets_the_challenge_with_max_age(user, app, api_client, settings):
    step_up(settings, {"beers:write": {"max_age": 300}})
    browser = password_sign_in(user)
    session = browser.session
    session[authn.SESSION_AUTH_TIME] = time.time() - 400
    session.save()
    stale = tokens(browser, api_client, app)["access_token"]

    response = write(stale)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="insufficient_user_authentication", '
        f'error_description="{RECENT_DESCRIPTION}", max_age="300"'
    )
    assert response.json() == {"detail": RECENT_DESCRIPTION}
    fresh = tokens(password_sign_in(user), api_client, app)["access_token"]
    assert write(fresh).status_code == 201


def test_a_level_and_a_max_age_are_asked_for_together(user, app, api_client, settings):
    step_up(settings, {"beers:write": {"acr": authn.ACR_MFA, "max_age": 600}})
    token = tokens(password_sign_in(user), api_client, app)["access_token"]

    challenge = write(token)["WWW-Authenticate"]

    assert challenge == (
        'Bearer realm="api", error="insufficient_user_authentication", '
        f'error_description="{LEVEL_DESCRIPTION}", acr_values="{authn.ACR_MFA}", max_age="600"'
    )


def test_a_refresh_keeps_the_level_of_the_sign_in(user, app, api_client, writes_need_mfa):
    client, secret = app
    weak = tokens(password_sign_in(user), api_client, app)
    key, _codes = add_authenticator(signed_in_with_password(user))
    strong = tokens(mfa_sign_in(user, key), api_client, app)

    refreshed = refresh(api_client, client, secret, strong["refresh_token"])

    assert refreshed.status_code == 200, refreshed.content
    assert write(refreshed.json()["access_token"]).status_code == 201
    weak_refreshed = refresh(api_client, client, secret, weak["refresh_token"]).json()
    assert write(weak_refreshed["access_token"])["WWW-Authenticate"] == MFA_CHALLENGE


# --- Tokens from grants without an interactive sign-in ----------------------------------------------


def test_a_password_grant_token_is_a_password_sign_in(user, app, api_client, settings):
    client, secret = app
    step_up(settings, {"beers:write": {"acr": authn.ACR_MFA}})
    response = token_request(
        api_client,
        client,
        secret,
        grant_type="password",
        username=user.username,
        password=USER_PASSWORD,
        scope=SCOPE,
    )
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]

    assert write(token)["WWW-Authenticate"] == MFA_CHALLENGE
    step_up(settings, {"beers:write": {"acr": authn.ACR_PASSWORD, "max_age": 60}})
    assert write(token).status_code == 201


def test_a_token_that_says_nothing_of_a_sign_in_meets_no_requirement(user, settings):
    step_up(settings, {"beers:write": {"acr": authn.ACR_PASSWORD}})
    token = mint_tokens(user, scope=SCOPE)["access_token"]  # issued without any sign-in recorded

    response = write(token)

    assert response.status_code == 401
    assert 'acr_values="urn:beerlocker:acr:password"' in response["WWW-Authenticate"]


def test_a_personal_access_token_cannot_be_given_a_stepped_up_scope(user, writes_need_mfa):
    assert "beers:write" not in scope_choices()
    with pytest.raises(ValidationError, match="cannot have these scopes: beers:write"):
        token_create(user=user, name="script", scopes=["beers:write"], lifetime_days=30)


# --- JWT access tokens (RFC 9068) --------------------------------------------------------------------


def test_a_jwt_access_token_carries_acr_and_auth_time_and_is_held_to_them(
    user, jwt_app, api_client, writes_need_mfa
):
    import jwt as pyjwt

    weak = tokens(password_sign_in(user), api_client, jwt_app)["access_token"]
    claims = pyjwt.decode(weak, options={"verify_signature": False})
    assert claims["acr"] == authn.ACR_PASSWORD and abs(claims["auth_time"] - time.time()) < 60

    assert write(weak)["WWW-Authenticate"] == MFA_CHALLENGE

    key, _codes = add_authenticator(signed_in_with_password(user))
    strong = tokens(mfa_sign_in(user, key), api_client, jwt_app)["access_token"]
    assert pyjwt.decode(strong, options={"verify_signature": False})["acr"] == authn.ACR_MFA
    assert write(strong).status_code == 201


def test_a_jwt_older_than_max_age_gets_the_challenge_without_a_query(user, jwt_app, api_client, settings):
    step_up(settings, {"beers:write": {"max_age": 300}})
    browser = password_sign_in(user)
    session = browser.session
    session[authn.SESSION_AUTH_TIME] = time.time() - 400
    session.save()
    stale = tokens(browser, api_client, jwt_app)["access_token"]

    with CaptureQueriesContext(connection) as queries:
        response = write(stale)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].endswith('max_age="300"')
    assert queries.captured_queries == []


# --- DPoP-bound tokens --------------------------------------------------------------------------------


def test_a_dpop_bound_token_is_challenged_with_the_dpop_scheme(user, settings, api_client):
    step_up(settings, {"beers:read": {"acr": authn.ACR_MFA}})
    key = new_key()
    token = mint_tokens(user, scope=SCOPE)["access_token"]
    AccessTokenBinding.objects.create(
        access_token=get_access_token_model().objects.get(token_checksum=checksum(token)),
        jkt=key.thumbprint(),
    )
    proof = make_proof(key, htu="http://testserver/api/beers", token=token)

    response = api_client.get(BEERS, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith(
        'DPoP realm="api", error="insufficient_user_authentication", '
        f'error_description="{LEVEL_DESCRIPTION}", acr_values="{authn.ACR_MFA}", algs="'
    )


# --- What it costs ------------------------------------------------------------------------------------


def test_the_check_adds_no_query_to_an_opaque_tokens_request(user, app, api_client, settings):
    for index in range(3):
        Beer.objects.create(owner=user, name=f"Beer {index}", type="Trappist", quantity=1)
    weak = tokens(password_sign_in(user), api_client, app)["access_token"]
    key, _codes = add_authenticator(signed_in_with_password(user))
    strong = tokens(mfa_sign_in(user, key), api_client, app)["access_token"]

    def count(token, method="get"):
        with CaptureQueriesContext(connection) as queries:
            response = getattr(bearer_api(token), method)(BEERS)
        return response.status_code, len(queries.captured_queries)

    count(strong)  # the first request reads what later ones find cached
    without = count(strong)
    step_up(settings, {"beers:read": {"acr": authn.ACR_MFA, "max_age": 3600}})

    assert count(strong) == without  # the sign-in came with the token, in the same query
    status, refused_queries = count(weak)
    assert (status, refused_queries) == (401, 1)  # the token lookup alone


# --- The device flow (RFC 8628) ----------------------------------------------------------------------


def device_tokens(browser, api_client, client):
    """A CLI's device flow, allowed in ``browser``: the token response."""
    started = api_client.post(
        "/api/oauth2/device_authorization",
        urlencode({"client_id": client.client_id, "scope": SCOPE}),
        content_type="application/x-www-form-urlencoded",
    )
    assert started.status_code == 200, started.content
    started = started.json()
    entered = browser.post("/api/oauth2/device", {"user_code": started["user_code"]})
    assert entered.status_code == 302, entered.content
    allowed = browser.post(entered["Location"], {"allow": "Allow"})
    assert allowed.status_code == 200, allowed.content
    response = api_client.post(
        "/api/oauth2/token",
        {"grant_type": DEVICE_CODE, "device_code": started["device_code"], "client_id": client.client_id},
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_device_token_stands_for_the_sign_in_of_the_browser_that_allowed_it(
    user, api_client, writes_need_mfa
):
    cli, _secret = make_client(secret=False, grant_types=[DEVICE_CODE, REFRESH_TOKEN], scope=SCOPE)
    weak = device_tokens(password_sign_in(user), api_client, cli)["access_token"]
    assert write(weak)["WWW-Authenticate"] == MFA_CHALLENGE

    key, _codes = add_authenticator(signed_in_with_password(user))
    strong = device_tokens(mfa_sign_in(user, key), api_client, cli)["access_token"]

    assert write(strong).status_code == 201
    assert not DeviceGrantSignIn.objects.exists()  # spent with the device code


def test_introspection_tells_a_resource_server_the_sign_in_in_the_same_query(user, app, api_client):
    token = tokens(password_sign_in(user), api_client, app)["access_token"]
    resource_server, secret = make_client(grant_types=[CLIENT_CREDENTIALS], allow_introspection=True)

    with CaptureQueriesContext(connection) as queries:
        response = client_post(api_client, INTROSPECT, resource_server, secret, token=token)

    body = response.json()
    assert body["active"] is True and body["acr"] == authn.ACR_PASSWORD
    assert abs(body["auth_time"] - time.time()) < 60
    # The introspecting client; the token with its user, client, binding and sign-in.
    assert len([q for q in queries.captured_queries if q["sql"].startswith("SELECT")]) == 2
    minted = mint_tokens(user, scope=SCOPE)["access_token"]  # no sign-in behind it: nothing said
    said = client_post(api_client, INTROSPECT, resource_server, secret, token=minted).json()
    assert said["active"] is True and "acr" not in said and "auth_time" not in said


# --- The whole journey -------------------------------------------------------------------------------


def challenge_params(header: str) -> dict:
    """The auth-params of a WWW-Authenticate challenge, as a client parses them."""
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def test_a_client_follows_the_challenge_to_the_step_up_page_and_back(user, app, api_client, writes_need_mfa):
    """RFC 9470 §4-5: the client reads acr_values from the 401, sends the user to the authorization
    endpoint with them; the signed-in user confirms with the app's code (no password again); the
    new token passes where the old one was refused."""
    client, secret = app
    browser = password_sign_in(user)
    key, _codes = add_authenticator(browser)  # the session stays at the password level
    weak = tokens(browser, api_client, app)["access_token"]
    refused = write(weak)
    asked = challenge_params(refused["WWW-Authenticate"])
    assert asked["error"] == "insufficient_user_authentication"

    url = authorize_url(client, scope=SCOPE, acr_values=asked["acr_values"])
    sent = browser.get(url)
    assert sent.status_code == 302 and urlsplit(sent["Location"]).path == "/accounts/login/step-up/"
    confirmed = browser.post(sent["Location"], {"token": code(key, 1)})
    assert confirmed.status_code == 302 and confirmed["Location"] == url
    back = browser.get(url)
    assert back.status_code == 302  # the consent is remembered: straight back with a code
    strong = exchange_code(api_client, client, secret, query(back["Location"])["code"]).json()["access_token"]

    assert write(strong).status_code == 201
    assert Beer.objects.count() == 1
