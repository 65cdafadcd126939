"""Pushed authorization requests (RFC 9126): the PAR endpoint, and its request_uri at the
authorization endpoint (single use, short-lived, bound to the client, required when registered)."""

import base64
import hashlib
import html
import json
import re
import time
from datetime import timedelta
from unittest import mock
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE
from oauthclients.models import Client, PushedAuthorizationRequest
from oauthclients.oauth2.endpoints import par
from tests.factories import REDIRECT_URI, make_client
from tests.support.client_keys import ClientKey, assertion_body, public_jwks
from tests.support.http import client_auth_header, signed_in_with_password
from tests.support.oauth import AUTHORIZE, exchange_code, pkce_pair, query

pytestmark = pytest.mark.django_db

PAR = "/api/oauth2/par"
PAR_URL = "http://testserver/api/oauth2/par"
URN = "urn:ietf:params:oauth:request_uri:"


def push(api_client, client, secret=None, **params):
    """POST an authorization request to the PAR endpoint as ``client`` (Basic with ``secret``)."""
    data = {
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "beers:read",
        "state": "par-state",
        **params,
    }
    data = {name: value for name, value in data.items() if value is not None}
    headers = {"HTTP_AUTHORIZATION": client_auth_header(client, secret)} if secret else {}
    if not secret:
        data.setdefault("client_id", client.client_id)
    return api_client.post(PAR, data, **headers)


def authorize_with(request_uri, client_id):
    return f"{AUTHORIZE}?{urlencode({'client_id': client_id, 'request_uri': request_uri})}"


def allow(browser, page):
    """Press Allow on the consent page ``page`` (the form carries the pushed request)."""
    form = {field: page.context["form"][field].value() or "" for field in page.context["form"].fields}
    form["allow"] = "Allow"
    # Where the page's form posts, as a browser would: the pushed request's URL.
    action = html.unescape(
        re.search(r'<form id="authorizationForm"[^>]* action="([^"]*)"', page.content.decode())[1]
    )
    response = browser.post(action, {name: value for name, value in form.items() if value != ""})
    assert response.status_code == 303, response.content
    return response["Location"]


@pytest.fixture
def confidential():
    return make_client(scope="openid beers:read")


# RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E (printable ASCII without " or \\).
ERROR_DESCRIPTION = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]*")
CHECKED_ENDPOINTS = (PAR, "/api/oauth2/token")


def assert_error_description_charset(response) -> None:
    """An RFC 6749 error answer's error_description uses only the characters §5.2 allows."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return
    body = json.loads(response.content)
    if isinstance(body, dict) and "error" in body:
        description = body.get("error_description", "")
        assert ERROR_DESCRIPTION.fullmatch(description), (body["error"], description)


@pytest.fixture(autouse=True)
def error_descriptions_are_rfc6749(monkeypatch):
    """Every answer of the PAR and token endpoints in these tests: its error_description is in
    RFC 6749's charset (a description with a section sign or a quote breaks strict clients)."""
    from django.test.client import Client as DjangoClient

    original = DjangoClient.request

    def request(self, **environ):
        response = original(self, **environ)
        if environ.get("PATH_INFO", "").rstrip("/") in CHECKED_ENDPOINTS:
            assert_error_description_charset(response)
        return response

    monkeypatch.setattr(DjangoClient, "request", request)


def test_the_error_description_check_catches_what_rfc_6749_forbids():
    from django.http import JsonResponse

    for bad in ("RFC 9126 \u00a72.1", 'must be "S256"', "a\\b"):
        with pytest.raises(AssertionError):
            assert_error_description_charset(
                JsonResponse({"error": "invalid_request", "error_description": bad})
            )
    assert_error_description_charset(
        JsonResponse({"error": "invalid_request", "error_description": "RFC 9126 section 2.1."})
    )


# --- The PAR endpoint -----------------------------------------------------------------------------


def test_a_pushed_request_gets_a_request_uri_stored_only_as_its_checksum(api_client, confidential):
    client, secret = confidential

    response = push(api_client, client, secret)

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["expires_in"] == 60
    assert body["request_uri"].startswith(URN)
    assert len(body["request_uri"]) > len(URN) + 40
    stored = PushedAuthorizationRequest.objects.get()
    assert stored.client == client
    assert stored.uri_checksum == hashlib.sha256(body["request_uri"].encode()).hexdigest()
    assert body["request_uri"] not in str(stored.parameters)
    assert ["state", "par-state"] in stored.parameters


def test_the_whole_flow_push_authorize_and_exchange_the_code(api_client, signed_in, confidential):
    client, secret = confidential
    request_uri = push(api_client, client, secret, scope="openid beers:read", nonce="n-1").json()[
        "request_uri"
    ]

    page = signed_in.get(authorize_with(request_uri, client.client_id))
    assert page.status_code == 200
    assert page.context["form"]["state"].value() == "par-state"
    location = allow(signed_in, page)

    assert location.startswith(REDIRECT_URI)
    assert query(location)["state"] == "par-state"
    tokens = exchange_code(api_client, client, secret, query(location)["code"])
    assert tokens.status_code == 200
    assert tokens.json()["scope"] == "openid beers:read"
    assert "id_token" in tokens.json()


def test_the_push_costs_a_bounded_number_of_queries(api_client, confidential):
    client, secret = confidential
    push(api_client, client, secret)  # warm: compiled lookups, content types

    with CaptureQueriesContext(connection) as queries:
        response = push(api_client, client, secret)

    assert response.status_code == 201
    # The client (authentication), the client again (oauthlib's validation of the request as the
    # authorization endpoint's, which builds its own request), the INSERT.
    assert len(queries) == 3, "\n".join(query["sql"][:120] for query in queries.captured_queries)


def test_a_wrong_secret_is_invalid_client_with_a_challenge_and_nothing_is_stored(api_client, confidential):
    client, _secret = confidential

    response = push(api_client, client, "not-the-secret")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    # Why, in words a client developer can act on, without saying which part was wrong.
    assert response.json()["error_description"] == "Client authentication failed."
    assert response["WWW-Authenticate"] == 'Basic realm="oauth2"'
    assert not PushedAuthorizationRequest.objects.exists()


def test_a_confidential_client_must_authenticate_a_public_one_names_itself(api_client, confidential):
    client, _secret = confidential
    public, _ = make_client(secret=False, scope="beers:read")
    _verifier, challenge = pkce_pair()

    assert push(api_client, client).status_code == 401  # client_id alone
    response = push(api_client, public, code_challenge=challenge, code_challenge_method="S256")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "params, error",
    [
        ({"redirect_uri": "https://evil.example/cb"}, "invalid_request"),
        ({"response_type": "token id_token"}, "unsupported_response_type"),
        ({"scope": "beers:read no-such-scope"}, "invalid_scope"),
        ({"request_uri": URN + "x"}, "invalid_request"),
        ({"code_challenge": "abc", "code_challenge_method": "plain"}, "invalid_request"),
        ({"resource": "https://elsewhere.example/api"}, "invalid_target"),
        ({"scope": "openid", "redirect_uri": None}, "invalid_request"),
    ],
)
def test_the_pushed_request_is_validated_as_the_authorization_endpoint_would(
    api_client, confidential, params, error
):
    client, secret = confidential

    response = push(api_client, client, secret, **params)

    assert response.status_code == 400, response.content
    assert response.json()["error"] == error
    assert not PushedAuthorizationRequest.objects.exists()


def test_a_public_client_must_push_a_pkce_challenge(api_client):
    public, _ = make_client(secret=False, scope="beers:read")

    response = push(api_client, public)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"] == "Code challenge required."


def test_a_client_id_that_is_not_the_authenticated_client_is_refused(api_client, confidential):
    client, secret = confidential
    other, _ = make_client()

    response = push(api_client, client, secret, client_id=other.client_id)

    assert response.status_code == 401  # Basic names one client and the body another
    assert not PushedAuthorizationRequest.objects.exists()


def test_only_post_and_only_form_parameters(api_client, confidential):
    client, secret = confidential

    assert api_client.get(PAR).status_code == 405
    response = api_client.post(
        PAR,
        {"response_type": "code", "redirect_uri": REDIRECT_URI},
        format="json",
        HTTP_AUTHORIZATION=client_auth_header(client, secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def keyed_client(user, *keys):
    """A private_key_jwt client registered through the services, with these keys."""
    client, secret = services.client_create(
        owner=user,
        client_name="Keyed",
        redirect_uris=[REDIRECT_URI],
        grant_types=[AUTHORIZATION_CODE],
        token_endpoint_auth_method=Client.AuthMethod.PRIVATE_KEY_JWT,
        scope="openid beers:read",
        jwks=public_jwks(*keys),
    )
    assert secret is None
    return client


def test_a_signed_request_object_can_be_pushed_with_private_key_jwt(api_client, signed_in, user):
    key = ClientKey(alg="ES256")
    client = keyed_client(user, key)
    request_object = key.sign(
        {
            "iss": client.client_id,
            "aud": "http://testserver/api/oauth2",
            "client_id": client.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid beers:read",
            "state": "from-the-object",
            "nonce": "n",
            "exp": int(time.time()) + 60,
        }
    )
    body = {
        "client_id": client.client_id,
        "request": request_object,
        **assertion_body(client.client_id, key, audience=PAR_URL),
    }

    response = api_client.post(PAR, body)

    assert response.status_code == 201, response.content
    page = signed_in.get(authorize_with(response.json()["request_uri"], client.client_id))
    assert page.status_code == 200
    assert page.context["form"]["state"].value() == "from-the-object"


def test_a_request_object_that_does_not_verify_is_refused(api_client, confidential):
    client, secret = confidential
    client.jwks = public_jwks(ClientKey(alg="ES256"))
    client.save()
    forged = ClientKey(alg="ES256").sign({"iss": client.client_id, "response_type": "code"})

    response = push(api_client, client, secret, request=forged)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request_object"


# --- At the authorization endpoint --------------------------------------------------------------


def refused_page(response):
    assert response.status_code == 400
    assert response.context["error"].error == "invalid_request_uri"
    assert not response.has_header("Location")


def test_a_request_uri_is_used_once_by_the_authorization_it_starts(api_client, user, confidential):
    """FAPI 2.0 Security Profile §5.3.2.2 note 3: the browser may reload the page (same session)
    until the authorization completes; then the request_uri is refused."""
    client, secret = confidential
    browser = signed_in_with_password(user)
    request_uri = push(api_client, client, secret).json()["request_uri"]
    url = authorize_with(request_uri, client.client_id)

    assert browser.get(url).status_code == 200
    other, _ = make_client(scope="openid beers:read")
    refused_page(browser.get(authorize_with(request_uri, other.client_id)))  # its client only
    reloaded = browser.get(url)
    assert reloaded.status_code == 200, reloaded.content
    assert reloaded.context["form"]["state"].value() == "par-state"
    location = allow(browser, reloaded)
    assert exchange_code(api_client, client, secret, query(location)["code"]).status_code == 200

    refused_page(browser.get(url))
    assert not browser.session.get(par.SESSION_KEY)  # forgotten: nothing kept once it is over


def test_a_spent_request_uri_is_refused_to_another_browser(api_client, user, other_user, confidential):
    client, secret = confidential
    request_uri = push(api_client, client, secret).json()["request_uri"]
    url = authorize_with(request_uri, client.client_id)

    assert signed_in_with_password(user).get(url).status_code == 200
    refused_page(signed_in_with_password(other_user).get(url))
    refused_page(signed_in_with_password(user).get(url))  # the same user, another session


def test_a_request_uri_is_refused_after_the_user_denies(api_client, user, confidential):
    client, secret = confidential
    browser = signed_in_with_password(user)
    url = authorize_with(push(api_client, client, secret).json()["request_uri"], client.client_id)
    page = browser.get(url)
    form = {field: page.context["form"][field].value() or "" for field in page.context["form"].fields}
    action = html.unescape(
        re.search(r'<form id="authorizationForm"[^>]* action="([^"]*)"', page.content.decode())[1]
    )

    denied = browser.post(action, {name: value for name, value in form.items() if value and name != "allow"})

    assert denied.status_code == 303
    assert query(denied["Location"])["error"] == "access_denied"
    refused_page(browser.get(url))


def test_a_request_uri_is_refused_after_an_automatic_approval(api_client, user, confidential):
    """A first-party client (skip_authorization): the code is issued on the first visit, so the
    next visit of the same request_uri is refused."""
    client, secret = confidential
    client.skip_authorization = True
    client.save()
    browser = signed_in_with_password(user)
    url = authorize_with(push(api_client, client, secret).json()["request_uri"], client.client_id)

    approved = browser.get(url)

    assert approved.status_code == 302 and "code" in query(approved["Location"])
    refused_page(browser.get(url))


def test_a_reload_past_the_request_uri_lifetime_is_refused(api_client, user, confidential):
    client, secret = confidential
    browser = signed_in_with_password(user)
    response = push(api_client, client, secret)
    url = authorize_with(response.json()["request_uri"], client.client_id)
    assert browser.get(url).status_code == 200

    later = timezone.now() + timedelta(seconds=response.json()["expires_in"] + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        refused_page(browser.get(url))


def test_a_session_keeps_only_the_last_few_request_uris_it_took(api_client, user, confidential):
    client, secret = confidential
    browser = signed_in_with_password(user)
    urls = [
        authorize_with(
            push(api_client, client, secret, state=f"s-{n}").json()["request_uri"], client.client_id
        )
        for n in range(par.MAX_REMEMBERED + 1)
    ]
    for url in urls:
        assert browser.get(url).status_code == 200

    remembered = browser.session[par.SESSION_KEY]
    assert len(remembered) == par.MAX_REMEMBERED
    assert not any(unquote(url.split("request_uri=")[1]) in json.dumps(remembered) for url in urls)
    refused_page(browser.get(urls[0]))  # the oldest was let go
    assert browser.get(urls[-1]).context["form"]["state"].value() == f"s-{par.MAX_REMEMBERED}"


def test_an_expired_request_uri_is_refused(api_client, signed_in, confidential, settings):
    client, secret = confidential
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "PAR_EXPIRES_SECONDS": 1}
    response = push(api_client, client, secret)
    assert response.json()["expires_in"] == 1
    PushedAuthorizationRequest.objects.update(expires=timezone.now() - timedelta(seconds=1))

    refused_page(signed_in.get(authorize_with(response.json()["request_uri"], client.client_id)))
    assert not PushedAuthorizationRequest.objects.exists()  # spent with the attempt


def test_a_request_uri_names_its_client_only(api_client, signed_in, confidential):
    client, secret = confidential
    other, _ = make_client(scope="openid beers:read")
    request_uri = push(api_client, client, secret).json()["request_uri"]

    refused_page(signed_in.get(authorize_with(request_uri, other.client_id)))
    refused_page(signed_in.get(f"{AUTHORIZE}?{urlencode({'request_uri': request_uri})}"))
    # Not spent by the attempts: the client it belongs to still uses it.
    assert signed_in.get(authorize_with(request_uri, client.client_id)).status_code == 200


def test_an_unknown_request_uri_is_refused(signed_in, confidential):
    client, _secret = confidential

    refused_page(signed_in.get(authorize_with(URN + "made-up", client.client_id)))


def test_query_parameters_beside_the_request_uri_are_ignored(api_client, signed_in, confidential):
    client, secret = confidential
    request_uri = push(api_client, client, secret).json()["request_uri"]

    page = signed_in.get(
        authorize_with(request_uri, client.client_id)
        + "&"
        + urlencode({"state": "tampered", "scope": "openid"})
    )

    assert page.status_code == 200
    assert page.context["form"]["state"].value() == "par-state"
    assert page.context["form"]["scope"].value() == "beers:read"


@pytest.mark.parametrize("where", ["client", "server"])
def test_a_client_that_must_push_is_refused_a_plain_request_redirected_with_invalid_request(
    api_client, signed_in, confidential, settings, where
):
    client, secret = confidential
    if where == "client":
        client.require_pushed_authorization_requests = True
        client.save()
    else:
        settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "REQUIRE_PUSHED_AUTHORIZATION_REQUESTS": True}
    plain = f"{AUTHORIZE}?" + urlencode(
        {"response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT_URI, "state": "s"}
    )

    response = signed_in.get(plain)

    assert response.status_code == 302
    assert response["Location"].startswith(REDIRECT_URI)
    assert query(response["Location"])["error"] == "invalid_request"
    assert query(response["Location"])["state"] == "s"
    # Pushed, the same request goes through.
    request_uri = push(api_client, client, secret, state="s").json()["request_uri"]
    assert signed_in.get(authorize_with(request_uri, client.client_id)).status_code == 200


def test_a_plain_request_with_an_unregistered_redirect_uri_is_an_error_page_even_when_push_is_required(
    signed_in, confidential
):
    client, _secret = confidential
    client.require_pushed_authorization_requests = True
    client.save()

    response = signed_in.get(
        f"{AUTHORIZE}?"
        + urlencode(
            {"response_type": "code", "client_id": client.client_id, "redirect_uri": "https://evil.example/"}
        )
    )

    assert response.status_code == 400
    assert not response.has_header("Location")


def test_a_signed_out_user_signs_in_and_comes_back_to_the_pushed_request(api_client, user, confidential):
    from django.test import Client as Browser

    from tests.factories import PASSWORD

    client, secret = confidential
    client.require_pushed_authorization_requests = True
    client.save()
    browser = Browser()
    request_uri = push(api_client, client, secret).json()["request_uri"]

    to_login = browser.get(authorize_with(request_uri, client.client_id))
    assert to_login.status_code == 302
    back = browser.post(to_login["Location"], {"username": user.username, "password": PASSWORD}, follow=False)
    assert back.status_code == 302
    page = browser.get(back["Location"])

    assert page.status_code == 200, page.content
    assert page.context["form"]["state"].value() == "par-state"
    location = allow(browser, page)
    assert exchange_code(api_client, client, secret, query(location)["code"]).status_code == 200


# --- Registration and discovery -----------------------------------------------------------------


def test_discovery_names_the_endpoint_and_the_server_wide_requirement(api_client, settings):
    for path in (
        "/api/oauth2/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/api/oauth2",
    ):
        data = api_client.get(path).json()
        assert data["pushed_authorization_request_endpoint"] == PAR_URL
        assert data["require_pushed_authorization_requests"] is False
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "REQUIRE_PUSHED_AUTHORIZATION_REQUESTS": True}
    assert api_client.get("/api/oauth2/.well-known/openid-configuration").json()[
        "require_pushed_authorization_requests"
    ]


def test_a_client_registers_that_it_requires_pushed_requests(signed_in, user):
    from tests.support.oauth import mint_tokens

    token = mint_tokens(user, scope="clients")["access_token"]
    response = signed_in.post(
        "/api/oauth2/register",
        {
            "client_name": "PAR only",
            "redirect_uris": [REDIRECT_URI],
            "require_pushed_authorization_requests": True,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 201, response.content
    assert response.json()["require_pushed_authorization_requests"] is True
    assert Client.objects.get(client_id=response.json()["client_id"]).require_pushed_authorization_requests


def test_expired_pushed_requests_are_pruned(api_client, confidential):
    from django.core.management import call_command

    client, secret = confidential
    push(api_client, client, secret)
    push(api_client, client, secret)
    PushedAuthorizationRequest.objects.filter(pk=PushedAuthorizationRequest.objects.first().pk).update(
        expires=timezone.now() - timedelta(seconds=1)
    )

    call_command("pruneredemptions", stdout=__import__("io").StringIO())

    assert PushedAuthorizationRequest.objects.count() == 1


def test_a_pushed_request_larger_than_a_request_object_may_be_is_refused(api_client, confidential):
    client, secret = confidential

    response = push(api_client, client, secret, state="x" * (16 * 1024))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "too large" in response.json()["error_description"]
    assert not PushedAuthorizationRequest.objects.exists()


def test_failed_pushes_count_towards_the_token_endpoints_guessing_limit(api_client, confidential):
    client, secret = confidential
    for _ in range(10):  # AXES_FAILURE_LIMIT: one address, one client
        assert push(api_client, client, "wrong").status_code == 401

    locked = push(api_client, client, secret)

    assert locked.status_code == 429
    assert locked.json()["error"] == "temporarily_unavailable"
    assert locked["Retry-After"]
    assert not PushedAuthorizationRequest.objects.exists()


# --- DPoP with PAR (RFC 9449 §10.1) ---------------------------------------------------------------


def test_a_dpop_proof_sent_with_the_push_binds_the_code_to_its_key(api_client, signed_in, confidential):
    from oauthclients.models import CodeBinding
    from tests.support.dpop import make_proof, new_key

    client, secret = confidential
    key = new_key()
    proof = make_proof(key, htm="POST", htu=PAR_URL)
    pushed = api_client.post(
        PAR,
        {"response_type": "code", "redirect_uri": REDIRECT_URI, "scope": "beers:read", "state": "s"},
        HTTP_AUTHORIZATION=client_auth_header(client, secret),
        HTTP_DPOP=proof,
    )
    assert pushed.status_code == 201, pushed.content
    assert ["dpop_jkt", key.thumbprint()] in PushedAuthorizationRequest.objects.get().parameters

    location = allow(signed_in, signed_in.get(authorize_with(pushed.json()["request_uri"], client.client_id)))
    code = query(location)["code"]
    assert CodeBinding.objects.get().jkt == key.thumbprint()
    refused = exchange_code(api_client, client, secret, code)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_dpop_proof"
    token_proof = make_proof(key, htm="POST", htu="http://testserver/api/oauth2/token")
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    tokens = api_client.post(
        "/api/oauth2/token",
        data,
        HTTP_AUTHORIZATION=client_auth_header(client, secret),
        HTTP_DPOP=token_proof,
    )
    assert tokens.status_code == 200, tokens.content
    assert tokens.json()["token_type"] == "DPoP"


@pytest.mark.parametrize("case", ["another key's dpop_jkt", "a proof for another URL"])
def test_a_push_with_a_proof_that_does_not_hold_is_refused_and_stores_nothing(api_client, confidential, case):
    from tests.support.dpop import make_proof, new_key

    client, secret = confidential
    key = new_key()
    params = {"response_type": "code", "redirect_uri": REDIRECT_URI, "scope": "beers:read"}
    if case == "another key's dpop_jkt":
        params["dpop_jkt"] = new_key().thumbprint()
        proof = make_proof(key, htm="POST", htu=PAR_URL)
    else:
        proof = make_proof(key, htm="POST", htu="http://testserver/api/oauth2/token")

    response = api_client.post(
        PAR, params, HTTP_AUTHORIZATION=client_auth_header(client, secret), HTTP_DPOP=proof
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"
    assert not PushedAuthorizationRequest.objects.exists()


# --- Re-authentication (prompt=login, max_age) of a pushed request ---------------------------------


def id_token_claims(token_response) -> dict:
    payload = token_response.json()["id_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def sign_in_form(browser, login_location, user):
    """The sign-in page's form, as a person fills it: back to where ``next`` says."""
    from tests.factories import PASSWORD

    assert urlsplit(login_location).path == "/accounts/login/"
    back = browser.post(login_location, {"username": user.username, "password": PASSWORD})
    assert back.status_code == 302, back.content
    return back["Location"]


@pytest.fixture
def must_push():
    client, secret = make_client(scope="openid beers:read")
    client.require_pushed_authorization_requests = True
    client.save()
    return client, secret


@pytest.mark.parametrize(
    ("params", "who"),
    [
        ({"prompt": "login"}, "same"),
        ({"prompt": "login"}, "other"),
        ({"max_age": "0"}, "same"),
        ({"prompt": "login consent"}, "same"),
    ],
)
def test_a_pushed_request_asking_to_sign_in_again_survives_the_sign_in_once(
    api_client, user, other_user, must_push, params, who
):
    client, secret = must_push
    browser = signed_in_with_password(user)
    before = time.time()
    time.sleep(1.05)  # the new sign-in is later than the first, to the second
    request_uri = push(api_client, client, secret, scope="openid beers:read", nonce="n-2", **params).json()[
        "request_uri"
    ]

    to_login = browser.get(authorize_with(request_uri, client.client_id))
    assert to_login.status_code == 302, to_login.content
    # The request waits on the server: the sign-in page's next names a fresh request_uri, never the
    # pushed parameters (nor the spent request_uri).
    next_url = parse_qs(urlsplit(to_login["Location"]).query)["next"][0]
    assert set(parse_qs(urlsplit(next_url).query)) == {"client_id", "request_uri"}
    assert request_uri not in next_url
    assert "n-2" not in next_url
    signer = user if who == "same" else other_user
    back = sign_in_form(browser, to_login["Location"], signer)
    assert back == next_url

    page = browser.get(back)
    assert page.status_code == 200, page.content
    assert page.context["form"]["state"].value() == "par-state"
    location = allow(browser, page)
    tokens = exchange_code(api_client, client, secret, query(location)["code"])
    assert tokens.status_code == 200, tokens.content
    claims = id_token_claims(tokens)
    assert claims["nonce"] == "n-2"
    assert claims["sub"] == str(signer.pk)
    assert claims["auth_time"] > before
    # Spent once: the sign-in's next URL cannot be replayed.
    refused_page(browser.get(back))


def test_a_pushed_prompt_login_sends_a_signed_out_browser_to_sign_in_and_back(api_client, user, must_push):
    from django.test import Client as Browser

    client, secret = must_push
    browser = Browser()
    request_uri = push(api_client, client, secret, prompt="login").json()["request_uri"]

    to_login = browser.get(authorize_with(request_uri, client.client_id))
    assert to_login.status_code == 302
    page = browser.get(sign_in_form(browser, to_login["Location"], user))

    assert page.status_code == 200, page.content
    assert exchange_code(api_client, client, secret, query(allow(browser, page))["code"]).status_code == 200


def test_the_sign_in_round_trip_of_a_pushed_request_outlives_a_push(api_client, user, must_push):
    """Typing a password and a one-time code can take longer than a client's push may live
    (60 s): the way back is pushed for the sign-in's own window, not the client's."""
    client, secret = must_push
    browser = signed_in_with_password(user)
    request_uri = push(api_client, client, secret, prompt="login").json()["request_uri"]
    to_login = browser.get(authorize_with(request_uri, client.client_id))
    waiting = PushedAuthorizationRequest.objects.get()
    # Five minutes at the sign-in page: past PAR_EXPIRES_SECONDS, within the round trip's window.
    PushedAuthorizationRequest.objects.update(expires=waiting.expires - timedelta(minutes=5))

    page = browser.get(sign_in_form(browser, to_login["Location"], user))

    assert page.status_code == 200, page.content
    assert exchange_code(api_client, client, secret, query(allow(browser, page))["code"]).status_code == 200


def test_the_sign_in_round_trip_of_a_pushed_request_expires(api_client, user, must_push):
    client, secret = must_push
    browser = signed_in_with_password(user)
    request_uri = push(api_client, client, secret, prompt="login").json()["request_uri"]
    to_login = browser.get(authorize_with(request_uri, client.client_id))
    assert PushedAuthorizationRequest.objects.count() == 1  # the one waiting for the sign-in
    PushedAuthorizationRequest.objects.update(expires=timezone.now() - timedelta(seconds=1))

    refused_page(browser.get(sign_in_form(browser, to_login["Location"], user)))


@pytest.mark.parametrize(
    ("seconds", "refused"), [(60, False), (599, False), (600, True), (0, True), ("60", True)]
)
def test_a_request_uri_lifetime_must_be_under_600_seconds(settings, seconds, refused):
    from django.core import checks

    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "PAR_EXPIRES_SECONDS": seconds}

    errors = [message for message in checks.run_checks() if message.id == "oauthclients.E005"]

    assert len(errors) == refused
    assert all(message.level == checks.ERROR for message in errors)
