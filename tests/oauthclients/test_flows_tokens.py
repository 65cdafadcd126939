"""Refresh, implicit, password and client-credentials grants, scopes, revocation and introspection."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from rest_framework.exceptions import PermissionDenied

from lockers.models import Beer
from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, IMPLICIT, PASSWORD, REFRESH_TOKEN
from tests.factories import PASSWORD as USER_PASSWORD
from tests.factories import BeerFactory, make_client, store_as_is
from tests.support.http import bearer_api
from tests.support.oauth import (
    INTROSPECT,
    REDIRECT_URI,
    REVOKE,
    authorize_url,
    client_post,
    consent,
    exchange_code,
    query,
    refresh,
    token_request,
    user_tokens,
)

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
pytestmark = pytest.mark.django_db
TOKEN = "/api/oauth2/token"


class TestRefresh:
    def test_rotation_issues_a_new_pair_and_the_old_access_token_dies(self, signed_in, api_client):
        client, secret = make_client()
        first = user_tokens(signed_in, api_client, client, secret)
        response = refresh(api_client, client, secret, first["refresh_token"])
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        second = response.json()
        assert second["refresh_token"] != first["refresh_token"]
        assert bearer_api(second["access_token"]).get("/api/beers").status_code == 200
        assert bearer_api(first["access_token"]).get("/api/beers").status_code == 401

    def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(self, signed_in, api_client):
        client, secret = make_client()
        first = user_tokens(signed_in, api_client, client, secret)
        second = refresh(api_client, client, secret, first["refresh_token"]).json()
        replay = refresh(api_client, client, secret, first["refresh_token"])
        assert replay.status_code == 400
        assert replay.json()["error"] == "invalid_grant"
        assert bearer_api(second["access_token"]).get("/api/beers").status_code == 401
        assert refresh(api_client, client, secret, second["refresh_token"]).status_code == 400
        assert not RefreshToken.objects.filter(revoked__isnull=True).exists()

    def test_an_idle_refresh_token_expires(self, signed_in, api_client, settings):
        client, secret = make_client()
        tokens = user_tokens(signed_in, api_client, client, secret)
        RefreshToken.objects.update(created=timezone.now() - timedelta(days=30, seconds=1))
        response = refresh(api_client, client, secret, tokens["refresh_token"])
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert AccessToken.objects.count() == 1

    def test_idle_limit_is_configurable(self, signed_in, api_client, settings):
        settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "REFRESH_TOKEN_IDLE_SECONDS": 60}
        client, secret = make_client()
        tokens = user_tokens(signed_in, api_client, client, secret)
        RefreshToken.objects.update(created=timezone.now() - timedelta(seconds=61))
        response = refresh(api_client, client, secret, tokens["refresh_token"])
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert AccessToken.objects.count() == 1

    def test_a_refresh_can_narrow_but_never_widen_the_scope(self, signed_in, api_client):
        client, secret = make_client(scope="beers:read beers:write profile")
        tokens = user_tokens(signed_in, api_client, client, secret, scope="beers:read")
        wider = refresh(api_client, client, secret, tokens["refresh_token"], scope="beers:read beers:write")
        assert wider.status_code == 400
        assert wider.json()["error"] == "invalid_scope"
        same = refresh(api_client, client, secret, tokens["refresh_token"])
        assert same.status_code == 200
        assert same.json()["scope"] == "beers:read"

    def test_a_refresh_keeps_only_what_the_client_may_still_ask_for(self, signed_in, api_client, user):
        client, secret = make_client(scope="beers:read beers:write")
        tokens = user_tokens(signed_in, api_client, client, secret, scope="beers:read beers:write")
        # The owner narrows what the client may ask for, e.g. after a leak of its refresh tokens.
        services.client_update(client=client, scope="beers:read")
        wider = refresh(api_client, client, secret, tokens["refresh_token"], scope="beers:read beers:write")
        assert wider.status_code == 400
        assert wider.json()["error"] == "invalid_scope"
        narrowed = refresh(api_client, client, secret, tokens["refresh_token"])
        assert narrowed.status_code == 200
        assert narrowed.json()["scope"] == "beers:read"
        assert AccessToken.objects.get(application=client).scope == "beers:read"
        caller = bearer_api(narrowed.json()["access_token"])
        assert caller.get("/api/beers").status_code == 200
        assert caller.post("/api/beers", {"name": "Stout"}).status_code == 403
        assert not Beer.objects.exists()

    def test_a_refresh_with_nothing_left_to_grant_is_refused(self, signed_in, api_client):
        client, secret = make_client(scope="beers:read beers:write profile")
        tokens = user_tokens(signed_in, api_client, client, secret, scope="profile")
        services.client_update(client=client, scope="beers:read")
        response = refresh(api_client, client, secret, tokens["refresh_token"])
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert AccessToken.objects.get(application=client).scope == "profile"

    def test_another_clients_refresh_token_is_refused(self, signed_in, api_client):
        client, secret = make_client()
        other, other_secret = make_client()
        tokens = user_tokens(signed_in, api_client, client, secret)
        response = refresh(api_client, other, other_secret, tokens["refresh_token"])
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"


class TestImplicit:
    def test_a_registered_client_gets_a_token_in_the_fragment(self, signed_in):
        client, _secret = make_client(grant_types=[IMPLICIT])
        location = consent(signed_in, client, response_type="token")
        assert location.startswith(REDIRECT_URI + "#")
        params = query(location)
        assert params["state"] == "xyz-state"
        assert "refresh_token" not in params
        assert bearer_api(params["access_token"]).get("/api/beers").status_code == 200

    def test_a_client_not_registered_for_it_is_refused(self, signed_in):
        client, _secret = make_client(grant_types=[AUTHORIZATION_CODE])
        response = signed_in.get(authorize_url(client, response_type="token"))
        assert response.status_code == 302
        assert query(response["Location"])["error"] == "unauthorized_client"

    def test_the_server_switch_turns_it_off(self, signed_in, settings):
        client, _secret = make_client(grant_types=[IMPLICIT])
        settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ALLOW_IMPLICIT_GRANT": False}
        response = signed_in.get(authorize_url(client, response_type="token"))
        assert response.status_code == 302
        assert query(response["Location"])["error"] == "unauthorized_client"
        assert not AccessToken.objects.exists()


class TestPassword:
    def test_a_registered_client_exchanges_the_users_password(self, user, api_client):
        client, secret = make_client(grant_types=[PASSWORD, REFRESH_TOKEN])
        response = token_request(
            api_client, client, secret, grant_type="password", username=user.username, password=USER_PASSWORD
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body["scope"].split()) == {"beers:read", "beers:write"}
        assert bearer_api(body["access_token"]).get("/api/beers").status_code == 200

    def test_a_wrong_password_is_invalid_grant(self, user, api_client):
        client, secret = make_client(grant_types=[PASSWORD])
        response = token_request(
            api_client, client, secret, grant_type="password", username=user.username, password="nope"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert not AccessToken.objects.exists()

    def test_a_client_not_registered_for_it_is_refused(self, user, api_client):
        client, secret = make_client()
        response = token_request(
            api_client, client, secret, grant_type="password", username=user.username, password=USER_PASSWORD
        )
        assert response.status_code in (400, 401)
        assert response.json()["error"] == "unauthorized_client"
        assert not AccessToken.objects.exists()

    def test_a_public_client_cannot_use_it_even_if_registered(self, user, api_client):
        client, _ = make_client(secret=False)
        store_as_is(client, grant_types=[PASSWORD])  # registration refuses it; the server must too
        response = api_client.post(
            TOKEN,
            {
                "grant_type": "password",
                "username": user.username,
                "password": USER_PASSWORD,
                "client_id": client.client_id,
            },
        )
        assert response.status_code == 400
        assert response.json()["error"] == "unauthorized_client"
        assert not AccessToken.objects.exists()

    def test_the_server_switch_turns_it_off(self, user, api_client, settings):
        client, secret = make_client(grant_types=[PASSWORD])
        settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ALLOW_PASSWORD_GRANT": False}
        response = token_request(
            api_client, client, secret, grant_type="password", username=user.username, password=USER_PASSWORD
        )
        assert response.json()["error"] == "unauthorized_client"
        assert not AccessToken.objects.exists()


class TestClientCredentials:
    def make(self, **fields):
        fields.setdefault("scope", "stats:read")
        return make_client(grant_types=[CLIENT_CREDENTIALS], **fields)

    def test_token_reads_stats_but_never_a_locker(self, api_client, user):
        BeerFactory(owner=user, quantity=6)
        BeerFactory(owner=user, quantity=2)
        client, secret = self.make()
        response = token_request(api_client, client, secret, grant_type="client_credentials")
        assert response.status_code == 200
        body = response.json()
        assert body["scope"] == "stats:read"
        assert "refresh_token" not in body
        assert AccessToken.objects.get().user is None

        stats = bearer_api(body["access_token"]).get("/api/stats")
        assert stats.status_code == 200
        assert stats.json() == {"users": 2, "beers": 2, "bottles": 8}  # user + the client's owner

        beers = bearer_api(body["access_token"]).get("/api/beers")
        assert beers.status_code == 403
        me = bearer_api(body["access_token"]).get("/api/users/me")
        assert me.status_code == 403

    def test_user_scopes_are_refused(self, api_client):
        client, secret = self.make(scope="stats:read beers:read")
        response = token_request(
            api_client, client, secret, grant_type="client_credentials", scope="beers:read"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"
        assert not AccessToken.objects.exists()

    def test_a_public_client_cannot_use_it(self, api_client):
        client, _ = make_client(secret=False)
        store_as_is(client, grant_types=[CLIENT_CREDENTIALS], scope="stats:read")  # refused at registration
        response = api_client.post(TOKEN, {"grant_type": "client_credentials", "client_id": client.client_id})
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert not AccessToken.objects.exists()

    def test_stats_needs_an_application_token_with_the_scope(self, api_client, basic_client, bearer_client):
        assert api_client.get("/api/stats").status_code == 401
        assert basic_client.get("/api/stats").status_code == 403
        assert bearer_client(scope="beers:read").get("/api/stats").status_code == 403

    def test_stats_refuses_an_application_token_without_the_scope(self, access_token):
        client, _secret = self.make()
        raw = access_token(scope="profile", application=client, user=None)
        response = bearer_api(raw).get("/api/stats")
        assert response.status_code == 403
        assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


class TestScopes:
    def test_default_scope_is_the_clients_registered_scope(self, signed_in, api_client):
        client, secret = make_client(scope="beers:read profile")
        tokens = user_tokens(signed_in, api_client, client, secret)
        assert set(tokens["scope"].split()) == {"beers:read", "profile"}

    def test_a_scope_outside_the_registration_is_invalid_scope(self, signed_in):
        client, _secret = make_client(scope="beers:read")
        response = signed_in.get(authorize_url(client, scope="beers:read beers:write"))
        assert response.status_code == 302
        assert query(response["Location"])["error"] == "invalid_scope"

    def test_user_tokens_never_carry_app_scopes(self, signed_in):
        client, _secret = make_client()
        store_as_is(client, scope="beers:read stats:read")  # registration refuses it; the server must too
        response = signed_in.get(authorize_url(client, scope="stats:read"))
        assert query(response["Location"])["error"] == "invalid_scope"

    def test_a_third_party_client_never_gets_a_first_party_scope(self, signed_in, api_client):
        client, secret = make_client(scope="beers:read social:write")

        asked = signed_in.get(authorize_url(client, scope="social:write"))
        assert query(asked["Location"])["error"] == "invalid_scope"

        tokens = user_tokens(signed_in, api_client, client, secret)
        assert tokens["scope"] == "beers:read"

    def test_a_first_party_client_gets_first_party_scopes_without_a_consent_screen(
        self, signed_in, api_client
    ):
        client, secret = make_client(scope="beers:read social:write")
        services.client_set_trust(client=client, allow_introspection=False, first_party=True)

        response = signed_in.get(authorize_url(client, scope="beers:read social:write"))

        assert response.status_code == 302
        code = query(response["Location"])["code"]
        tokens = exchange_code(api_client, client, secret, code).json()
        assert set(tokens["scope"].split()) == {"beers:read", "social:write"}

    def test_a_read_token_cannot_write(self, signed_in, api_client):
        client, secret = make_client(scope="beers:read beers:write")
        tokens = user_tokens(signed_in, api_client, client, secret, scope="beers:read")
        response = bearer_api(tokens["access_token"]).post("/api/beers", {"name": "Orval"}, format="json")
        assert response.status_code == 403
        assert 'scope="beers:write"' in response["WWW-Authenticate"]
        assert not Beer.objects.exists()


class TestRevocation:
    def test_a_client_revokes_its_own_token(self, signed_in, api_client):
        client, secret = make_client()
        tokens = user_tokens(signed_in, api_client, client, secret)
        response = client_post(api_client, REVOKE, client, secret, token=tokens["access_token"])
        assert response.status_code == 200
        assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 401
        # Revoking the access token took its refresh token with it.
        assert refresh(api_client, client, secret, tokens["refresh_token"]).status_code == 400

    def test_another_clients_token_is_left_alone_but_answers_200(self, signed_in, api_client):
        client, secret = make_client()
        other, other_secret = make_client()
        tokens = user_tokens(signed_in, api_client, client, secret)
        response = client_post(api_client, REVOKE, other, other_secret, token=tokens["access_token"])
        assert response.status_code == 200
        assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 200

    def test_an_unknown_token_answers_200(self, api_client):
        client, secret = make_client()
        response = client_post(api_client, REVOKE, client, secret, token="nope")
        assert response.status_code == 200

    def test_an_unauthenticated_caller_is_invalid_client(self, signed_in, api_client):
        client, secret = make_client()
        tokens = user_tokens(signed_in, api_client, client, secret)
        response = client_post(api_client, REVOKE, client, "wrong", token=tokens["access_token"])
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response["WWW-Authenticate"].startswith("Basic")
        assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 200


class TestIntrospection:
    def test_a_resource_server_client_sees_the_tokens_details(self, signed_in, api_client, user):
        client, secret = make_client()
        tokens = user_tokens(signed_in, api_client, client, secret)
        resource_server, rs_secret = make_client(allow_introspection=True)
        response = client_post(
            api_client, INTROSPECT, resource_server, rs_secret, token=tokens["access_token"]
        )
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        body = response.json()
        assert body["active"] is True
        assert body["username"] == user.username
        assert body["client_id"] == client.client_id
        assert client_post(api_client, INTROSPECT, resource_server, rs_secret, token="unknown").json() == {
            "active": False
        }

    def test_a_malformed_query_does_not_break_client_authentication(self, signed_in, api_client):
        client, secret = make_client()
        tokens = user_tokens(signed_in, api_client, client, secret)
        resource_server, rs_secret = make_client(allow_introspection=True)
        response = client_post(
            api_client, f"{INTROSPECT}?x=100%zz", resource_server, rs_secret, token=tokens["access_token"]
        )
        assert response.status_code == 200
        assert response.json()["active"] is True

    def test_an_ordinary_client_may_not_introspect(self, signed_in, api_client):
        client, secret = make_client()
        tokens = user_tokens(signed_in, api_client, client, secret)
        response = client_post(api_client, INTROSPECT, client, secret, token=tokens["access_token"])
        assert response.status_code == 403
        assert response.json()["error"] == "unauthorized_client"
        assert "username" not in response.json()

    def test_a_bearer_token_or_no_credentials_cannot_introspect(self, signed_in, api_client):
        client, secret = make_client()
        tokens = user_tokens(signed_in, api_client, client, secret)
        response = api_client.post(
            "/api/oauth2/introspect",
            {"token": tokens["access_token"]},
            HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}",
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert api_client.get("/api/oauth2/introspect?token=x").status_code == 405


def test_query_budget_one_query_authenticates_a_bearer_request(
    signed_in, api_client, django_assert_num_queries
):
    client, secret = make_client(scope="beers:read profile")
    tokens = user_tokens(signed_in, api_client, client, secret)
    caller = bearer_api(tokens["access_token"])
    # /api/users/me reads nothing else: the one query (token joined with user and client) is all.
    with django_assert_num_queries(1) as captured:
        response = caller.get("/api/users/me")
    assert response.status_code == 200
    assert response.json()["username"]
    assert "oauth2_provider_accesstoken" in captured.captured_queries[0]["sql"]


def test_a_dcr_registration_access_token_never_acts_on_the_api(user, settings):
    from oauth2_provider.views.dynamic_client_registration import _issue_registration_token

    client, _secret = make_client(user=user)
    raw = _issue_registration_token(client, user)  # exactly what DOT's registration endpoint issues
    refusals = {
        "/api/beers": "registration access token",
        "/api/users/me": "registration access token",
        "/api/stats": "needs an application token",
    }
    for path, refusal in refusals.items():
        response = bearer_api(raw).get(path)
        assert response.status_code == 403, path
        assert refusal in response.json()["detail"], path
    # Even a view that asked for no particular scope would not accept it.
    from beerlocker_api.permissions import IsUserWithTokenScope

    class AnyScopeView:
        token_scopes = {"read": []}

    request = type("Request", (), {"auth": AccessToken.objects.get(application=client), "method": "GET"})()
    with pytest.raises(PermissionDenied, match="registration access token"):
        IsUserWithTokenScope().has_permission(request, AnyScopeView())


class TestDisabledAccount:
    """Deactivating a user (``is_active=False``, Django's way to lock an account; Basic, session,
    password and token exchange already refuse it) also ends what OAuth clients hold for it."""

    @pytest.fixture
    def disabled(self, signed_in, api_client, user):
        client, secret = make_client(scope="openid beers:read beers:write")
        tokens = user_tokens(signed_in, api_client, client, secret, scope="openid beers:read")
        user.is_active = False
        user.save(update_fields=["is_active"])
        return client, secret, tokens

    def test_its_access_tokens_stop_working(self, disabled):
        _client, _secret, tokens = disabled
        response = bearer_api(tokens["access_token"]).get("/api/beers")
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert bearer_api(tokens["access_token"]).get("/api/oauth2/userinfo").status_code == 401

    def test_its_refresh_token_mints_nothing(self, disabled, api_client):
        client, secret, tokens = disabled
        before = (AccessToken.objects.count(), RefreshToken.objects.count())
        response = refresh(api_client, client, secret, tokens["refresh_token"])
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert (AccessToken.objects.count(), RefreshToken.objects.count()) == before

    def test_introspection_reports_its_tokens_inactive(self, disabled, api_client):
        _client, _secret, tokens = disabled
        resource_server, rs_secret = make_client(allow_introspection=True)
        response = client_post(
            api_client, INTROSPECT, resource_server, rs_secret, token=tokens["access_token"]
        )
        assert response.status_code == 200
        assert response.json() == {"active": False}

    def test_a_code_issued_before_it_was_disabled_is_refused(self, signed_in, api_client, user):
        client, secret = make_client()
        code = query(consent(signed_in, client))["code"]
        user.is_active = False
        user.save(update_fields=["is_active"])
        response = token_request(
            api_client, client, secret, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert not AccessToken.objects.exists()


class TestIntrospectionOfRefreshTokens:
    """RFC 7662 §2.1: any token the server issued, the refresh token too, with token_type_hint."""

    @pytest.fixture
    def issued(self, signed_in, api_client):
        client, secret = make_client()
        tokens = user_tokens(signed_in, api_client, client, secret)
        resource_server, rs_secret = make_client(allow_introspection=True)
        return client, secret, tokens, resource_server, rs_secret

    @pytest.mark.parametrize("hint", [None, "refresh_token", "access_token"])
    def test_a_live_refresh_token_is_active_whatever_the_hint(self, issued, api_client, user, hint):
        client, _secret, tokens, resource_server, rs_secret = issued
        data = {"token": tokens["refresh_token"]}
        if hint:
            data["token_type_hint"] = hint
        response = client_post(api_client, INTROSPECT, resource_server, rs_secret, **data)
        assert response.status_code == 200
        body = response.json()
        assert body["active"] is True
        assert body["token_type"] == "refresh_token"
        assert body["client_id"] == client.client_id
        assert body["username"] == user.username
        assert body["scope"] == tokens["scope"]
        assert body["exp"] > time.time()

    def test_an_access_token_with_the_refresh_hint_is_still_answered(self, issued, api_client):
        _client, _secret, tokens, resource_server, rs_secret = issued
        body = client_post(
            api_client,
            INTROSPECT,
            resource_server,
            rs_secret,
            token=tokens["access_token"],
            token_type_hint="refresh_token",
        ).json()
        assert body["active"] is True and "token_type" not in body

    def test_a_revoked_refresh_token_is_inactive(self, issued, api_client):
        client, secret, tokens, resource_server, rs_secret = issued
        revoked = client_post(
            api_client, REVOKE, client, secret, token=tokens["refresh_token"], token_type_hint="refresh_token"
        )
        assert revoked.status_code == 200
        body = client_post(
            api_client,
            INTROSPECT,
            resource_server,
            rs_secret,
            token=tokens["refresh_token"],
            token_type_hint="refresh_token",
        ).json()
        assert body == {"active": False}

    def test_a_rotated_refresh_token_is_inactive_and_its_successor_active(self, issued, api_client):
        client, secret, tokens, resource_server, rs_secret = issued
        fresh = refresh(api_client, client, secret, tokens["refresh_token"]).json()
        old = client_post(api_client, INTROSPECT, resource_server, rs_secret, token=tokens["refresh_token"])
        new = client_post(api_client, INTROSPECT, resource_server, rs_secret, token=fresh["refresh_token"])
        assert old.json() == {"active": False}
        assert new.json()["active"] is True

    def test_a_deactivated_users_refresh_token_is_inactive(self, issued, api_client, user):
        _client, _secret, tokens, resource_server, rs_secret = issued
        user.is_active = False
        user.save(update_fields=["is_active"])
        body = client_post(
            api_client, INTROSPECT, resource_server, rs_secret, token=tokens["refresh_token"]
        ).json()
        assert body == {"active": False}
