"""RFC 9068 JWT access tokens: issued per client (``access_token_format``) or per resource
(``JWT_ACCESS_TOKEN_RESOURCES``), validated by a library nobody here wrote (authlib), verified by
the API without a query, and still revoked everywhere a token row is deleted."""

import base64
import json
import time

import pytest
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from django.contrib.auth import get_user_model
from django.core.cache import cache
from oauth2_provider.models import get_access_token_model
from rest_framework.test import APIClient

from accounts import services as account_services
from beerlocker_api import jwt_access
from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, REFRESH_TOKEN
from tests.factories import REDIRECT_URI, make_client
from tests.support.dpop import make_proof, new_key
from tests.support.http import bearer_api, client_auth_header
from tests.support.oauth import (
    INTROSPECT,
    REVOKE,
    TOKEN,
    client_post,
    consent,
    query,
    refresh,
    user_tokens,
)

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()

API = "http://testserver/api/"
ISSUER = "http://testserver/api/oauth2"


def header_and_claims(token: str) -> tuple[dict, dict]:
    """The JWT's header and claims, unverified (authlib verifies them in the tests that say so)."""
    parts = [
        json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in token.split(".")[:2]
    ]
    return parts[0], parts[1]


@pytest.fixture
def jwt_app(user):
    return make_client(
        user=user,
        grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN],
        scope="openid beers:read beers:write",
        access_token_format="jwt",
    )


@pytest.fixture
def jwt_tokens(signed_in, api_client, jwt_app):
    client, secret = jwt_app
    return user_tokens(signed_in, api_client, client, secret, scope="openid beers:read")


def jwks(api_client) -> dict:
    return api_client.get("/api/oauth2/.well-known/jwks.json").json()


def test_a_jwt_client_gets_an_rfc9068_token_that_authlib_validates(api_client, user, jwt_app, jwt_tokens):
    client, _ = jwt_app
    token = jwt_tokens["access_token"]
    key_set = jwks(api_client)  # the published JWKS, as a resource server fetches it

    validator = JWTBearerTokenValidator(issuer=ISSUER, resource_server=API)
    validator.get_jwks = lambda: key_set  # authlib asks the subclass for the issuer's keys
    claims = validator.authenticate_token(token)
    validator.validate_token(claims, scopes=["beers:read"], request=None)

    header, _ = header_and_claims(token)
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256" and header["kid"]
    assert claims["iss"] == ISSUER and claims["aud"] == API
    assert (claims["sub"], claims["client_id"]) == (str(user.pk), client.client_id)
    assert claims["scope"] == "openid beers:read"
    assert claims["exp"] - claims["iat"] == 300 == jwt_tokens["expires_in"]
    assert claims["jti"] and isinstance(claims["auth_time"], int) and claims["acr"]
    assert "cnf" not in claims  # bound to no key until DPoP fills jwt_access.token_cnf
    # The row the server keeps: by the JWT's checksum (never the JWT); the client asked for no
    # resource, so the row is bound to none (userinfo reads it) while the JWT names the API.
    row = AccessToken.objects.get()
    assert row.token_checksum == jwt_access.token_checksum(token) and row.token == ""
    assert row.resource == []


def test_authlib_refuses_a_jwt_for_another_resource_or_scope(api_client, jwt_tokens):
    key_set = jwks(api_client)  # the published JWKS, as a resource server fetches it
    validator = JWTBearerTokenValidator(issuer=ISSUER, resource_server="https://elsewhere.example.com/")
    validator.get_jwks = lambda: key_set

    claims = validator.authenticate_token(jwt_tokens["access_token"])
    with pytest.raises(InvalidTokenError):
        validator.validate_token(claims, scopes=[], request=None)


def test_the_api_accepts_a_jwt_without_a_query_for_the_token(django_assert_num_queries, jwt_tokens, user):
    from lockers.services import beer_create

    beer_create(owner=user, name="Orval", quantity=2)
    api = bearer_api(jwt_tokens["access_token"])
    api.get("/api/beers")  # warm: the locker's count goes to the cache

    # The page of beers only: the token, its user and its client are never read.
    with django_assert_num_queries(1):
        response = api.get("/api/beers")

    assert response.status_code == 200
    assert [beer["name"] for beer in response.json()["results"]] == ["Orval"]


def count_cache_reads(monkeypatch) -> list[str]:
    """The names of the cache read methods called from here on, in order (each one round trip to
    a shared cache, such as Redis); the calls go through to the cache unchanged. A read the cache
    makes of itself (the local-memory cache's ``get_many`` calls ``get``) is not another one."""
    from django.core.cache import caches

    backend, called, depth = caches["default"], [], [0]
    for name in ("get", "get_many", "has_key", "get_or_set"):
        method = getattr(backend, name)

        def counted(*args, _name=name, _method=method, **kwargs):
            if not depth[0]:
                called.append(_name)
            depth[0] += 1
            try:
                return _method(*args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(backend, name, counted)
    return called


def test_the_jwt_list_costs_one_query_and_one_cache_round_trip(
    django_assert_num_queries, jwt_tokens, user, monkeypatch
):
    """The revocation marks and the locker's page count are read together (issue 20's speed
    target: the JWT bearer list at least as fast as a plain DRF list, which makes two queries)."""
    from lockers.services import beer_create

    beer_create(owner=user, name="Orval", quantity=2)
    api = bearer_api(jwt_tokens["access_token"])
    api.get("/api/beers")  # warm: the locker's count goes to the cache
    reads = count_cache_reads(monkeypatch)

    with django_assert_num_queries(1):
        response = api.get("/api/beers")

    assert response.status_code == 200 and response.json()["count"] == 1
    assert reads == ["get_many"]


def test_the_jwt_list_count_follows_the_locker(jwt_tokens, user):
    from lockers.services import beer_create, beer_delete

    api = bearer_api(jwt_tokens["access_token"])
    beer = beer_create(owner=user, name="Orval", quantity=2)
    assert api.get("/api/beers").json()["count"] == 1
    beer_create(owner=user, name="Westmalle", quantity=1)
    assert api.get("/api/beers").json()["count"] == 2
    beer_delete(beer=beer)
    listed = api.get("/api/beers", {"page_size": 1}).json()
    assert listed["count"] == 1 and [row["name"] for row in listed["results"]] == ["Westmalle"]


def test_a_revoked_jwt_is_refused_although_the_list_reads_the_cache_with_its_marks(
    api_client, jwt_app, jwt_tokens, user
):
    from lockers.services import beer_create

    beer_create(owner=user, name="Orval", quantity=2)
    api = bearer_api(jwt_tokens["access_token"])
    assert api.get("/api/beers").status_code == 200
    client, secret = jwt_app
    client_post(api_client, REVOKE, client, secret, token=jwt_tokens["access_token"])

    response = api.get("/api/beers")

    assert response.status_code == 401 and "revoked" in response["WWW-Authenticate"]


@pytest.fixture
def dpop_jwt(signed_in, api_client, jwt_app):
    """(a JWT access token DPoP-bound to a new key, that key): the code exchanged with a proof."""
    client, secret = jwt_app
    key = new_key()
    code = query(consent(signed_in, client, scope="openid beers:read"))["code"]
    proof = make_proof(key, htm="POST", htu="http://testserver" + TOKEN)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    response = api_client.post(
        TOKEN, data, HTTP_AUTHORIZATION=client_auth_header(client, secret), HTTP_DPOP=proof
    )
    assert response.status_code == 200 and response.json()["token_type"] == "DPoP", response.content
    return response.json()["access_token"], key


def dpop_list(token, key, **params):
    proof = make_proof(key, htu="http://testserver/api/beers", token=token)
    return APIClient().get("/api/beers", params, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)


def test_a_dpop_bound_jwt_is_verified_without_a_query_for_the_token(
    django_assert_num_queries, dpop_jwt, user, monkeypatch
):
    from lockers.services import beer_create

    token, key = dpop_jwt
    assert header_and_claims(token)[1]["cnf"] == {"jkt": key.thumbprint()}
    beer_create(owner=user, name="Orval", quantity=2)
    warm = dpop_list(token, key)  # warm: the locker's count goes to the cache
    assert warm.status_code == 200, (warm.content, warm.get("WWW-Authenticate"))
    reads = count_cache_reads(monkeypatch)

    # The page of beers only; the cache: the marks with the count, then the proof's jti spent.
    with django_assert_num_queries(1):
        response = dpop_list(token, key)

    assert response.status_code == 200 and response.json()["count"] == 1
    assert reads == ["get_many"]


def test_a_dpop_bound_jwt_needs_a_fresh_proof_by_its_key_and_is_no_bearer_token(dpop_jwt):
    token, key = dpop_jwt
    api = APIClient()
    proof = make_proof(key, htu="http://testserver/api/beers", token=token)

    assert api.get("/api/beers", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof).status_code == 200
    replayed = api.get("/api/beers", HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof)
    other_key = dpop_list(token, new_key())
    no_proof = api.get("/api/beers", HTTP_AUTHORIZATION=f"DPoP {token}")
    as_bearer = bearer_api(token).get("/api/beers")

    for response in (replayed, other_key, no_proof, as_bearer):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("DPoP ")
    assert 'error="invalid_dpop_proof"' in replayed["WWW-Authenticate"]
    assert 'error="invalid_dpop_proof"' in other_key["WWW-Authenticate"]
    assert 'error="invalid_token"' in as_bearer["WWW-Authenticate"]


def test_a_revoked_dpop_bound_jwt_is_refused_with_a_dpop_challenge(api_client, jwt_app, dpop_jwt):
    token, key = dpop_jwt
    assert dpop_list(token, key).status_code == 200
    client, secret = jwt_app
    assert client_post(api_client, REVOKE, client, secret, token=token).status_code == 200

    response = dpop_list(token, key)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('DPoP realm="api", error="invalid_token"')
    assert "revoked" in response["WWW-Authenticate"]


def test_an_unbound_jwt_with_the_dpop_scheme_is_invalid_token(jwt_tokens):
    token, key = jwt_tokens["access_token"], new_key()

    response = dpop_list(token, key)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('DPoP realm="api", error="invalid_token"')
    assert "not DPoP-bound" in response["WWW-Authenticate"]


def test_the_user_of_a_jwt_is_read_once_when_a_view_needs_more_than_its_id(jwt_tokens, user):
    claims = jwt_access.verify(jwt_tokens["access_token"], issuer=ISSUER)
    token = jwt_access.access_token_from_claims(claims)

    assert token.user.pk == user.pk and token.user.is_authenticated
    assert isinstance(token.user, get_user_model())
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert (token.user.username, token.user.email, token.user.is_active) == (
            user.username,
            user.email,
            True,
        )
    assert len(queries) == 1


def test_a_jwt_revoked_at_the_revocation_endpoint_is_refused_by_the_api(api_client, jwt_app, jwt_tokens):
    client, secret = jwt_app
    token = jwt_tokens["access_token"]
    assert bearer_api(token).get("/api/beers").status_code == 200

    assert client_post(api_client, REVOKE, client, secret, token=token).status_code == 200

    response = bearer_api(token).get("/api/beers")
    assert response.status_code == 401
    assert response.json() == {"detail": "The access token was revoked."}
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert not AccessToken.objects.exists()


def test_a_password_change_revokes_the_users_jwts(jwt_tokens, user):
    token = jwt_tokens["access_token"]

    account_services.user_password_changed(user=user, how="reset")

    assert bearer_api(token).get("/api/beers").status_code == 401


def test_deleting_the_client_revokes_its_jwts(jwt_app, jwt_tokens):
    client, _ = jwt_app

    services.client_delete(client=client)

    assert bearer_api(jwt_tokens["access_token"]).get("/api/beers").status_code == 401


def test_a_deactivated_account_s_jwts_are_refused_without_a_token_query(jwt_tokens, user):
    token = jwt_tokens["access_token"]

    user.is_active = False
    user.save()

    response = bearer_api(token).get("/api/beers")
    assert response.status_code == 401
    assert "disabled" in response.json()["detail"]
    assert AccessToken.objects.exists()  # the row stays, as for an opaque token


def test_a_refresh_replaces_the_jwt_and_revokes_the_old_one(api_client, jwt_app, jwt_tokens):
    client, secret = jwt_app

    rotated = refresh(api_client, client, secret, jwt_tokens["refresh_token"]).json()

    assert header_and_claims(rotated["access_token"])[0]["typ"] == "at+jwt"
    assert bearer_api(rotated["access_token"]).get("/api/beers").status_code == 200
    assert bearer_api(jwt_tokens["access_token"]).get("/api/beers").status_code == 401


def test_an_expired_jwt_is_refused(jwt_tokens, monkeypatch):
    token = jwt_tokens["access_token"]
    _, claims = header_and_claims(token)
    later = claims["exp"] + jwt_access.LEEWAY_SECONDS + 1
    monkeypatch.setattr(jwt_access.time, "time", lambda: later)  # the clock, not the code under test

    response = bearer_api(token).get("/api/beers")

    assert response.status_code == 401
    assert response.json() == {"detail": "The access token has expired."}


def test_a_jwt_for_another_resource_is_refused_by_the_api(signed_in, api_client, jwt_app, settings):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "RESOURCES": ["/api/", "/mcp"]}
    client, secret = jwt_app

    tokens = user_tokens(
        signed_in, api_client, client, secret, scope="beers:read", resource="http://testserver/mcp"
    )

    assert header_and_claims(tokens["access_token"])[1]["aud"] == "http://testserver/mcp"
    response = bearer_api(tokens["access_token"]).get("/api/beers")
    assert response.status_code == 401
    assert response.json() == {"detail": "The access token is not valid for this resource."}


def test_a_tampered_or_foreign_jwt_is_refused(jwt_tokens):
    token = jwt_tokens["access_token"]
    header, payload, signature = token.split(".")
    _, claims = header_and_claims(token)
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "scope": "beers:write"}).encode()).rstrip(b"=")

    response = bearer_api(f"{header}.{forged.decode()}.{signature}").get("/api/beers")

    assert response.status_code == 401
    assert response.json() == {"detail": "The access token's signature is not valid."}


def test_an_id_token_is_not_an_access_token(jwt_tokens):
    response = bearer_api(jwt_tokens["id_token"]).get("/api/beers")

    assert response.status_code == 401
    assert response.json() == {"detail": "The token is not a JWT access token (typ at+jwt)."}


def test_introspection_of_a_jwt_and_of_it_revoked(api_client, jwt_app, jwt_tokens, user):
    introspector, secret = make_client(grant_types=[CLIENT_CREDENTIALS], allow_introspection=True)
    client, client_secret = jwt_app
    token = jwt_tokens["access_token"]

    answer = client_post(api_client, INTROSPECT, introspector, secret, token=token).json()
    client_post(api_client, REVOKE, client, client_secret, token=token)
    revoked = client_post(api_client, INTROSPECT, introspector, secret, token=token).json()

    assert (answer["active"], answer["scope"], answer["username"]) == (
        True,
        "openid beers:read",
        user.username,
    )
    assert answer["client_id"] == client.client_id
    assert revoked == {"active": False}


def test_a_resource_listed_for_jwts_gets_them_from_an_opaque_client(signed_in, api_client, user, settings):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "JWT_ACCESS_TOKEN_RESOURCES": ["/api/"]}
    client, secret = make_client(user=user, grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN])

    other, other_secret = make_client(user=user, grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN])

    listed = user_tokens(signed_in, api_client, client, secret, scope="beers:read", resource=API)
    unasked = user_tokens(signed_in, api_client, other, other_secret, scope="beers:read")

    assert header_and_claims(listed["access_token"])[1]["aud"] == API
    assert bearer_api(listed["access_token"]).get("/api/beers").status_code == 200
    assert "." not in unasked["access_token"]  # bound to no listed resource: opaque


def test_other_clients_keep_opaque_tokens(signed_in, api_client, user):
    client, secret = make_client(user=user, grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN])

    tokens = user_tokens(signed_in, api_client, client, secret, scope="beers:read")

    assert "." not in tokens["access_token"] and tokens["expires_in"] == 3600
    assert AccessToken.objects.get().resource == []
    assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 200


def test_client_credentials_jwt_names_the_client_as_subject(api_client):
    client, secret = make_client(
        grant_types=[CLIENT_CREDENTIALS], scope="stats:read", access_token_format="jwt"
    )

    response = client_post(api_client, TOKEN, client, secret, grant_type="client_credentials")

    _, claims = header_and_claims(response.json()["access_token"])
    assert (claims["sub"], claims["client_id"]) == (client.client_id, client.client_id)
    assert "auth_time" not in claims
    stats = bearer_api(response.json()["access_token"]).get("/api/stats")
    assert stats.status_code == 200, stats.content


def test_the_revocation_mark_lives_in_the_cache_until_the_token_expires(jwt_app, jwt_tokens):
    token = jwt_tokens["access_token"]

    AccessToken.objects.get().revoke()

    assert cache.get(jwt_access.revoked_key(jwt_access.token_checksum(token))) == 1
    _, claims = header_and_claims(token)
    assert claims["exp"] - time.time() <= 300


def test_mcp_accepts_a_jwt_bound_to_it_without_a_token_query(
    signed_in, api_client, jwt_app, django_assert_num_queries
):
    client, secret = jwt_app
    tokens = user_tokens(
        signed_in, api_client, client, secret, scope="beers:read", resource="http://testserver/mcp"
    )
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}",
        "HTTP_ACCEPT": "application/json, text/event-stream",
    }

    with django_assert_num_queries(0):
        response = api_client.post("/mcp", message, format="json", **headers)
    api_only = user_tokens(signed_in, api_client, *make_jwt_client(jwt_app), scope="beers:read")
    refused = api_client.post(
        "/mcp",
        message,
        format="json",
        **{**headers, "HTTP_AUTHORIZATION": f"Bearer {api_only['access_token']}"},
    )

    assert response.status_code == 200
    assert "list_beers" in [tool["name"] for tool in response.json()["result"]["tools"]]
    assert refused.status_code == 401  # the JWT's audience is the API, not /mcp


def make_jwt_client(jwt_app):
    """Another JWT client of the same owner (a fresh consent: the first client's is remembered)."""
    client, _ = jwt_app
    return make_client(
        user=client.user,
        grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN],
        scope="openid beers:read beers:write",
        access_token_format="jwt",
    )


def test_userinfo_answers_for_a_jwt_from_its_row(jwt_tokens, user):
    response = bearer_api(jwt_tokens["access_token"]).get("/api/oauth2/userinfo")

    assert response.status_code == 200, (response.headers, response.content)
    assert response.json()["sub"] == str(user.pk)
