"""The library behaviour under oauthclients/oauth2/compat.py (django-oauth-toolkit 3.4.1,
oauthlib 4.0.1) and the public oauthlib hooks the server relies on.

Each test fails when an upgrade changes what an override was written against, so the upgrade
shows up here instead of as a silent sign-in bug.
"""

import base64
import hashlib
import inspect
import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import get_grant_model
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request as OauthlibRequest
from oauthlib.oauth2.rfc6749 import errors

from oauthclients.grants import (
    AUTHORIZATION_CODE,
    TOKEN_EXCHANGE,
)
from oauthclients.oauth2.compat import (
    BeerLockerOAuthLibCore,
    add_iss_to_redirect,
    create_authorization_code,
    save_bearer_token_in_transaction,
    save_id_token,
    signed_id_token,
)
from oauthclients.oauth2.server import Server, require_s256
from oauthclients.oauth2.tokens.codes import code_checksum, code_grant
from oauthclients.oauth2.validator import BeerLockerValidator
from tests.factories import make_client

RESOURCE = ["https://api.example.com/"]


def test_dot_passes_a_stray_percent_to_oauthlib_which_refuses_it_and_compat_escapes_it():
    request = RequestFactory().get("/api/oauth2/authorize?state=100%&client_id=abc")

    dot_uri = OAuthLibCore(server=object())._get_escaped_full_path(request)
    with pytest.raises(ValueError):
        OauthlibRequest(dot_uri)  # why the override exists: a 500 without it

    ours = OauthlibRequest(BeerLockerOAuthLibCore(server=object())._get_escaped_full_path(request))
    assert ours.state == "100%"
    assert ours.client_id == "abc"


@pytest.fixture
def grant(user):
    client, _secret = make_client()
    return get_grant_model().objects.create(
        user=user,
        application=client,
        code=code_checksum("raw-code"),
        expires=timezone.now() + timedelta(seconds=60),
        redirect_uri="https://client.example.com/callback",
        scope="beers:read",
        resource=RESOURCE,
    )


def token_request(grant, code):
    request = OauthlibRequest("https://testserver/api/oauth2/token", "POST")
    request.grant_type = AUTHORIZATION_CODE
    request.code = code
    request.client = grant.application
    return request


def test_dot_reads_the_grants_resource_by_request_code(grant):
    # DOT's private lookup: the grant whose ``code`` equals ``request.code`` (RFC 8707).
    by_checksum = token_request(grant, code_checksum("raw-code"))
    OAuth2Validator()._check_and_set_request_resource(by_checksum)
    assert by_checksum.resource == RESOURCE

    by_raw_code = token_request(grant, "raw-code")
    OAuth2Validator()._check_and_set_request_resource(by_raw_code)
    assert by_raw_code.resource == []  # only the checksum is stored, hence the compat override


def test_compat_finds_the_resource_of_a_code_stored_as_its_checksum(grant):
    request = token_request(grant, "raw-code")
    BeerLockerValidator()._check_and_set_request_resource(request)
    assert request.resource == RESOURCE
    assert request.code == "raw-code"


@pytest.mark.parametrize(
    ("uri", "part"),
    [
        ("https://client.example.com/cb?code=c&state=s&iss=https://evil.example", "query"),
        ("https://client.example.com/cb#access_token=t&state=s", "fragment"),
    ],
)
def test_dots_iss_helper_sets_exactly_one_issuer_where_the_response_is(uri, part):
    parts = urlsplit(add_iss_to_redirect(uri, "https://server.example/api/oauth2"))
    params = parse_qs(getattr(parts, part))
    assert params["iss"] == ["https://server.example/api/oauth2"]
    assert params["state"] == ["s"]


def test_server_keeps_oauthlibs_grants_and_adds_the_extra_ones(settings):
    server = Server(BeerLockerValidator())
    assert {"authorization_code", "password", "client_credentials", "refresh_token"} <= set(
        server.grant_types
    )
    assert type(server.grant_types[TOKEN_EXCHANGE]).__name__ == "TokenExchangeGrant"
    assert server.default_grant_type == AUTHORIZATION_CODE

    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ADAPTER": "oauthclients.adapter.OAuthClientsAdapter"}
    assert TOKEN_EXCHANGE not in Server(BeerLockerValidator()).grant_types


def test_every_grant_that_issues_codes_refuses_plain_pkce_before_anything_else():
    server = Server(BeerLockerValidator())
    for grant in (server.auth_grant, server.openid_connect_auth, server.openid_connect_hybrid):
        # oauthlib's documented hook, read through the OpenID grants' proxies.
        assert require_s256 in grant.custom_validators.pre_auth


def test_oauthlibs_token_modifiers_take_token_handler_and_request():
    """The signature socialaccounts' TokenExchangeGrant calls modifiers with: oauthlib 4's OpenID
    grants register ``add_id_token(token, token_handler, request)`` on the code and refresh grants,
    which call every modifier that way (its client-credentials and password grants still pass
    the token alone)."""
    server = Server(BeerLockerValidator())
    for grant in (server.openid_connect_auth, server.refresh_grant):
        parameters = list(inspect.signature(grant.add_id_token).parameters)
        assert parameters[:3] == ["token", "token_handler", "request"]
    source = inspect.getsource(type(server.auth_grant).create_token_response)
    assert "modifier(token, token_handler, request)" in source


# --- Issue 10: one read of each row per request ------------------------------------------------


def sql(queries):
    """The statements that read or write rows (not BEGIN, COMMIT or savepoints)."""
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]


def authorization_request(client, user, **attributes):
    """An oauthlib request as the authorization endpoint hands it to save_authorization_code."""
    request = OauthlibRequest("https://testserver/api/oauth2/authorize", headers={"HTTP_HOST": "testserver"})
    request.client, request.client_id, request.user = client, client.client_id, user
    request.scopes, request.redirect_uri = ["openid", "beers:read"], "https://client.example.com/callback"
    request.code_challenge = request.code_challenge_method = None
    request.nonce, request.claims = "n-1", {"userinfo": {"email": None}}
    for name, value in attributes.items():
        setattr(request, name, value)
    return request


def grant_fields(grant):
    return {
        field: getattr(grant, field)
        for field in (
            "application_id",
            "user_id",
            "redirect_uri",
            "scope",
            "code_challenge",
            "code_challenge_method",
            "nonce",
            "claims",
            "resource",
        )
    }


def test_dots_save_authorization_code_saves_one_grant_which_compat_returns(user):
    client, _secret = make_client()
    with CaptureQueriesContext(connection) as queries:
        OAuth2Validator().save_authorization_code(
            client.client_id, {"code": "c-dot"}, authorization_request(client, user)
        )
    assert len(sql(queries)) == 1 and sql(queries)[0].startswith("INSERT")  # the grant, nothing else
    by_dot = get_grant_model().objects.get(code="c-dot")

    returned = create_authorization_code(
        BeerLockerValidator(), authorization_request(client, user), {"code": "c-ours"}
    )

    assert returned.pk == get_grant_model().objects.get(code="c-ours").pk
    assert grant_fields(returned) == grant_fields(by_dot)


@pytest.mark.parametrize(
    "requested", [None, RESOURCE[0], "https://other.example.com/", RESOURCE + ["https://x.example.com/"]]
)
@pytest.mark.parametrize("granted", [RESOURCE, []])
def test_compat_narrows_a_codes_resources_as_dot_does_without_reading_the_grant_again(
    grant, requested, granted
):
    grant.resource = granted
    grant.save(update_fields=["resource"])

    def outcome(validator, code):
        request = token_request(grant, code)
        request.resource = requested
        try:
            validator._check_and_set_request_resource(request)
        except errors.CustomOAuth2Error as error:
            return error.error, error.description
        return request.resource

    # DOT reads the grant by request.code (a checksum, as stored); compat by the raw code.
    assert outcome(BeerLockerValidator(), "raw-code") == outcome(OAuth2Validator(), code_checksum("raw-code"))


def test_compat_reads_no_grant_for_the_resources_once_the_request_has_read_it(grant):
    request = token_request(grant, "raw-code")
    request.resource = None
    code_grant(request, "raw-code")
    with CaptureQueriesContext(connection) as queries:
        BeerLockerValidator()._check_and_set_request_resource(request)
    assert request.resource == RESOURCE
    assert sql(queries) == []


def id_token_request(client, user):
    request = authorization_request(client, user, grant_type=AUTHORIZATION_CODE, scope="openid beers:read")
    request.auth_time, request.acr, request.sid = int(time.time()), "urn:example:acr", "sid-1"
    return request


def test_dots_finalize_id_token_signs_and_saves_what_compat_signs_and_saves_later(user):
    client, _secret = make_client(scope="openid beers:read")
    validator = BeerLockerValidator()
    dot_request = id_token_request(client, user)
    with CaptureQueriesContext(connection) as queries:
        dot_jwt = OAuth2Validator.finalize_id_token(
            validator, {"aud": client.client_id}, {}, None, dot_request
        )
    assert len(queries.captured_queries) == 3  # DOT's transaction of its own around the INSERT

    ours_request = id_token_request(client, user)
    ours_jwt, expires = signed_id_token(validator, {"aud": client.client_id}, {}, None, ours_request)
    ours_claims = jwt_parts(ours_jwt)[1]
    with CaptureQueriesContext(connection) as queries:
        saved = save_id_token(validator, ours_request, ours_claims["jti"], expires)
    assert len(queries.captured_queries) == 1  # the INSERT alone, in the caller's transaction

    (dot_header, dot_claims), (ours_header, _) = jwt_parts(dot_jwt), jwt_parts(ours_jwt)
    assert ours_header == dot_header and set(ours_header) == {"typ", "alg", "kid"}
    assert set(ours_claims) == set(dot_claims)
    assert ours_claims["nonce"] == dot_claims["nonce"] == "n-1"
    assert ours_request.id_token == ours_request.access_token == saved
    by_dot = dot_request.id_token
    assert (saved.user, saved.application, saved.scope) == (by_dot.user, by_dot.application, by_dot.scope)
    assert str(saved.jti).replace("-", "") == ours_claims["jti"].replace("-", "")


def jwt_parts(serialized):
    """(header, claims) of a compact JWS, unverified."""
    header, payload, _signature = serialized.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    return decode(header), decode(payload)


def test_dots_access_token_reads_its_id_token_back_and_compat_binds_the_one_in_hand(user):
    client, _secret = make_client(scope="openid beers:read")
    validator = BeerLockerValidator()
    later = timezone.now() + timedelta(hours=1)

    def issue(create, access):
        """An ID token signed and saved on a request, then ``create``'s access token for it."""
        request = id_token_request(client, user)
        signed, expires = signed_id_token(validator, {"aud": client.client_id}, {}, None, request)
        id_token = save_id_token(validator, request, jwt_parts(signed)[1]["jti"], expires)
        with CaptureQueriesContext(connection) as queries:
            access_token = create(
                later, request, {"access_token": access, "scope": "openid", "id_token": signed}
            )
        assert access_token.id_token_id == id_token.pk
        return access_token, sql(queries)

    by_dot, dot_sql = issue(lambda *args: OAuth2Validator._create_access_token(validator, *args), "a-dot")
    ours, our_sql = issue(validator._create_access_token, "a-ours")

    assert len(dot_sql) == 3  # the client by the JWT's aud, the ID token by its jti, the INSERT
    assert len(our_sql) == 1  # the INSERT
    fields = ("user_id", "application_id", "scope", "expires", "source_refresh_token_id", "resource")
    assert [getattr(ours, field) for field in fields] == [getattr(by_dot, field) for field in fields]


def test_dots_save_bearer_token_is_its_private_half_in_a_savepoint(user):
    client, _secret = make_client()
    validator = BeerLockerValidator()

    def saved(save, access):
        request = OauthlibRequest("https://testserver/api/oauth2/token")
        request.client, request.client_id, request.user = client, client.client_id, user
        request.scopes, request.grant_type = ["beers:read"], "password"
        token = {
            "access_token": access,
            "refresh_token": f"r-{access}",
            "scope": "beers:read",
            "expires_in": 60,
        }
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            save(token, request)
        return [q["sql"].split(" (")[0] for q in queries.captured_queries]

    by_dot = saved(
        lambda token, request: OAuth2Validator.save_bearer_token(validator, token, request), "a-dot"
    )
    ours = saved(lambda token, request: save_bearer_token_in_transaction(validator, token, request), "a-ours")
    assert by_dot[0].startswith("SAVEPOINT") and by_dot[-1].startswith("RELEASE SAVEPOINT")
    assert ours == by_dot[1:-1]


@pytest.mark.parametrize("state", ["live", "expired", "another client's"])
def test_dots_validate_code_takes_from_the_grant_what_ours_takes_from_the_one_read(grant, state):
    grant.nonce, grant.claims = "n-7", json.dumps({"id_token": {"acr": None}})
    if state == "expired":
        grant.expires = timezone.now() - timedelta(seconds=1)
    grant.save(update_fields=["nonce", "claims", "expires"])
    client = make_client()[0] if state == "another client's" else grant.application

    def validated(validator, code):
        request = token_request(grant, code)
        ok = validator.validate_code(client.client_id, code, client, request)
        return ok, request.scopes, request.user, request.nonce, request.claims

    ours = validated(BeerLockerValidator(), "raw-code")
    assert ours == validated(OAuth2Validator(), code_checksum("raw-code"))
    assert ours[0] is (state == "live")


def test_the_client_in_hand_answers_pkce_required_as_dots_setting_does(user):
    for secret in (True, False):
        client, _secret = make_client(secret=secret)
        request = OauthlibRequest("https://testserver/api/oauth2/authorize")
        request.client = client
        with CaptureQueriesContext(connection) as queries:
            ours = BeerLockerValidator().is_pkce_required(client.client_id, request)
        assert sql(queries) == []
        assert ours == OAuth2Validator().is_pkce_required(client.client_id, request) == (not secret)


@pytest.mark.django_db
def test_dot_saves_a_bearer_tokens_access_token_through_create_access_token_which_compat_keeps(user):
    from oauth2_provider.models import get_access_token_model

    from oauthclients.oauth2.compat import issued_access_token
    from tests.support.oauth import mint_tokens

    assert "_create_access_token" in inspect.getsource(OAuth2Validator._save_bearer_token)
    reset = issued_access_token.set(None)
    try:
        raw = mint_tokens(user, scope="beers:read")["access_token"]
        kept = issued_access_token.get()
    finally:
        issued_access_token.reset(reset)

    saved = get_access_token_model().objects.get()
    assert kept is not None and kept.pk == saved.pk and kept.user == user
    assert saved.token_checksum == hashlib.sha256(raw.encode()).hexdigest()


def test_dots_save_bearer_token_is_its_private_one_in_a_transaction_which_compat_skips_for_one_row():
    """compat.save_lone_access_token calls ``_save_bearer_token`` without DOT's ``atomic`` for a
    client-credentials token (one INSERT); DOT's method must still be just that wrapper."""
    source = inspect.getsource(OAuth2Validator.save_bearer_token)
    assert "transaction.atomic(" in source and "return self._save_bearer_token(" in source
