"""The doors that cannot ask for a second factor (issue 21): HTTP Basic and the password grant
refuse the password of a user who has one, naming the alternative, and accept that user's personal
access token in the password's place, held to the token's scopes."""

from datetime import timedelta

import jwt as pyjwt
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from oauthclients.grants import PASSWORD as PASSWORD_GRANT
from oauthclients.grants import REFRESH_TOKEN
from oauthclients.models import AccessTokenSignIn
from oauthclients.oauth2.oidc import authn
from personaltokens.models import IssuedTokens, PersonalAccessToken
from personaltokens.services import token_create, token_revoke
from tests.factories import PASSWORD, make_client
from tests.support.http import basic_api, bearer_api, signed_in_with_password
from tests.support.oauth import exchange_code, mint_code, refresh, token_request
from tests.support.otp import add_authenticator

pytestmark = pytest.mark.django_db

AccessToken = get_access_token_model()
REFUSAL = (
    "This account uses a second factor: sign in through the browser (authorization code flow) "
    "or use a personal access token"
)
BAD_TOKEN = "The token given as the password is invalid, expired or revoked, or belongs to another account."


@pytest.fixture(autouse=True)
def _no_device_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def two_factor_user(user):
    add_authenticator(signed_in_with_password(user))
    return user


@pytest.fixture
def app():
    return make_client(grant_types=[PASSWORD_GRANT, REFRESH_TOKEN], scope="beers:read beers:write profile")


@pytest.fixture
def pat(two_factor_user):
    """The user's personal access token for reading beers: (row, token)."""
    return token_create(user=two_factor_user, name="backup script", scopes=["beers:read"], lifetime_days=30)


def password_grant(api_client, app, username, password, **extra):
    client, secret = app
    return token_request(
        api_client, client, secret, grant_type="password", username=username, password=password, **extra
    )


def test_the_password_of_a_user_with_a_second_factor_is_refused_naming_the_alternative(
    two_factor_user, app, api_client
):
    response = password_grant(api_client, app, two_factor_user.username, PASSWORD)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": REFUSAL}
    assert "personal access token" in response.json()["error_description"]
    assert not AccessToken.objects.exists()


def test_the_users_personal_access_token_gets_tokens_bounded_by_its_scopes(
    two_factor_user, pat, app, api_client
):
    row, token = pat

    response = password_grant(api_client, app, two_factor_user.username, token)

    assert response.status_code == 200, response.content
    issued = response.json()
    # No scope asked: the client's scopes the personal access token holds, no more.
    assert issued["scope"] == "beers:read"
    assert bearer_api(issued["access_token"]).get("/api/beers").status_code == 200
    refused = bearer_api(issued["access_token"]).post("/api/beers", {"name": "Orval"}, format="json")
    assert refused.status_code == 403 and 'scope="beers:write"' in refused["WWW-Authenticate"]
    row.refresh_from_db()
    assert row.last_used is not None and timezone.now() - row.last_used < timedelta(minutes=1)
    # It stands for no sign-in: nothing says a level was reached.
    assert not AccessTokenSignIn.objects.exists()


def test_asking_for_a_scope_the_token_does_not_hold_is_refused_by_name(two_factor_user, pat, app, api_client):
    _row, token = pat

    response = password_grant(
        api_client, app, two_factor_user.username, token, scope="beers:read beers:write"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_scope",
        "error_description": "The token given as the password does not hold these scopes: beers:write",
    }
    assert not AccessToken.objects.exists()


def test_a_revoked_token_is_invalid_grant(two_factor_user, pat, app, api_client):
    row, token = pat
    token_revoke(token=row)

    response = password_grant(api_client, app, two_factor_user.username, token)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": BAD_TOKEN}
    assert not AccessToken.objects.exists()


def test_an_expired_token_is_invalid_grant(two_factor_user, pat, app, api_client):
    row, token = pat
    PersonalAccessToken.objects.filter(pk=row.pk).update(expires=timezone.now() - timedelta(seconds=1))

    response = password_grant(api_client, app, two_factor_user.username, token)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists() and not get_refresh_token_model().objects.exists()


def test_another_accounts_token_is_invalid_grant(two_factor_user, other_user, pat, app, api_client):
    _row, token = pat

    response = password_grant(api_client, app, other_user.username, token)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": BAD_TOKEN}


def test_wrong_tokens_fall_under_the_password_guessing_limits(
    two_factor_user, pat, app, api_client, settings
):
    settings.AXES_FAILURE_LIMIT = 3
    _row, token = pat
    guess = "blpat_" + "A" * 43

    statuses = [
        password_grant(api_client, app, two_factor_user.username, guess).status_code for _ in range(3)
    ]

    assert statuses == [400, 400, 400]  # as wrong passwords are answered
    # Locked like a guessed password: the right token waits, and so does the password.
    assert password_grant(api_client, app, two_factor_user.username, token).status_code == 429
    assert password_grant(api_client, app, two_factor_user.username, PASSWORD).status_code == 429
    assert not AccessToken.objects.exists()


def test_a_user_without_a_second_factor_may_use_either(user, app, api_client):
    _row, token = token_create(user=user, name="script", scopes=["beers:read"], lifetime_days=7)

    by_password = password_grant(api_client, app, user.username, PASSWORD, scope="beers:write")
    by_token = password_grant(api_client, app, user.username, token)

    assert by_password.status_code == 200 and by_password.json()["scope"] == "beers:write"
    assert by_token.status_code == 200 and by_token.json()["scope"] == "beers:read"
    # The password is a password sign-in (what the API's step-up reads); the token is none.
    assert list(AccessTokenSignIn.objects.values_list("acr", flat=True)) == [authn.ACR_PASSWORD]


def test_http_basic_refuses_the_password_and_accepts_the_token(two_factor_user, pat):
    _row, token = pat

    refused = basic_api(two_factor_user.username, PASSWORD).get("/api/beers")
    accepted = basic_api(two_factor_user.username, token).get("/api/beers")

    assert refused.status_code == 401 and refused.json() == {"detail": REFUSAL}
    assert accepted.status_code == 200 and accepted.json()["results"] == []


# --- What revoking (or the expiry of) a personal access token ends --------------------------------

FORMATS = ["opaque", "jwt"]


def script_client(access_token_format):
    return make_client(
        grant_types=[PASSWORD_GRANT, REFRESH_TOKEN],
        scope="beers:read beers:write",
        access_token_format=access_token_format,
    )


def tokens_from(api_client, app, user, token):
    response = password_grant(api_client, app, user.username, token)
    assert response.status_code == 200, response.content
    return response.json()


def revoke_by(how, user, row):
    """Revoke ``row`` the way its owner does: the account page or the API."""
    if how == "page":
        assert signed_in_with_password(user).post(f"/account/tokens/{row.pk}/revoke/").status_code == 302
    else:
        assert basic_api(user.username, PASSWORD).delete(f"/api/me/tokens/{row.pk}").status_code == 204
    assert not PersonalAccessToken.objects.filter(pk=row.pk).exists()


def refused_refresh(api_client, app, refresh_token):
    client, secret = app
    response = refresh(api_client, client, secret, refresh_token)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("access_token_format", FORMATS)
@pytest.mark.parametrize("how", ["page", "api"])
def test_revoking_the_token_ends_every_token_issued_with_it(user, api_client, access_token_format, how):
    app = script_client(access_token_format)
    row, token = token_create(user=user, name="script", scopes=["beers:read"], lifetime_days=7)
    first = tokens_from(api_client, app, user, token)
    # A refresh keeps the link: what it issues goes with the personal access token too.
    client, secret = app
    refreshed = refresh(api_client, client, secret, first["refresh_token"])
    assert refreshed.status_code == 200, refreshed.content
    issued = refreshed.json()
    second = tokens_from(api_client, app, user, token)
    assert bearer_api(issued["access_token"]).get("/api/beers").status_code == 200
    assert bearer_api(second["access_token"]).get("/api/beers").status_code == 200

    revoke_by(how, user, row)

    for tokens in (issued, second):
        response = bearer_api(tokens["access_token"]).get("/api/beers")
        assert response.status_code == 401, response.content
        refused_refresh(api_client, app, tokens["refresh_token"])
    assert not AccessToken.objects.filter(user=user).exists()
    assert not get_refresh_token_model().objects.filter(user=user, revoked__isnull=True).exists()
    assert not IssuedTokens.objects.exists()


def test_tokens_the_user_got_another_way_are_untouched(user, api_client):
    app = script_client("opaque")
    row, token = token_create(user=user, name="script", scopes=["beers:read"], lifetime_days=7)
    from_token = tokens_from(api_client, app, user, token)
    by_password = password_grant(api_client, app, user.username, PASSWORD, scope="beers:read").json()
    browser_client, browser_secret = make_client(scope="beers:read")
    code_flow = exchange_code(api_client, browser_client, browser_secret, mint_code(user, browser_client))
    assert code_flow.status_code == 200, code_flow.content

    token_revoke(token=row)

    assert bearer_api(from_token["access_token"]).get("/api/beers").status_code == 401
    for other in (by_password, code_flow.json()):
        assert bearer_api(other["access_token"]).get("/api/beers").status_code == 200
    client, secret = browser_client, browser_secret
    assert refresh(api_client, client, secret, code_flow.json()["refresh_token"]).status_code == 200
    assert refresh(api_client, *app, by_password["refresh_token"]).status_code == 200


def test_the_api_reads_a_linked_token_in_as_many_queries_as_any_other(user, api_client):
    app = script_client("opaque")
    _row, token = token_create(user=user, name="script", scopes=["beers:read"], lifetime_days=7)
    from_token = tokens_from(api_client, app, user, token)["access_token"]
    by_password = password_grant(api_client, app, user.username, PASSWORD, scope="beers:read").json()

    counts = []
    for access_token in (by_password["access_token"], from_token):
        api = bearer_api(access_token)
        assert api.get("/api/beers").status_code == 200  # caches warmed alike
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/beers").status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


@pytest.mark.parametrize("access_token_format", FORMATS)
def test_a_token_expiring_sooner_clamps_what_it_issues(user, api_client, access_token_format):
    app = script_client(access_token_format)
    row, token = token_create(user=user, name="script", scopes=["beers:read"], lifetime_days=7)
    ends = timezone.now() + timedelta(seconds=120)
    PersonalAccessToken.objects.filter(pk=row.pk).update(expires=ends)

    issued = tokens_from(api_client, app, user, token)

    assert 100 < issued["expires_in"] <= 120
    stored = AccessToken.objects.get(user=user)
    assert stored.expires <= ends
    if access_token_format == "jwt":
        claims = pyjwt.decode(issued["access_token"], options={"verify_signature": False})
        assert claims["exp"] <= ends.timestamp()
    # A refresh before the end is clamped as well.
    refreshed = refresh(api_client, *app, issued["refresh_token"])
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json()["expires_in"] <= 120


@pytest.mark.parametrize("access_token_format", FORMATS)
def test_a_refresh_after_the_token_expired_is_invalid_grant(user, api_client, access_token_format):
    app = script_client(access_token_format)
    row, token = token_create(user=user, name="script", scopes=["beers:read"], lifetime_days=7)
    issued = tokens_from(api_client, app, user, token)
    PersonalAccessToken.objects.filter(pk=row.pk).update(expires=timezone.now() - timedelta(seconds=1))

    refused_refresh(api_client, app, issued["refresh_token"])

    assert AccessToken.objects.filter(user=user).count() == 1  # nothing new issued


@pytest.mark.parametrize("bulk", [False, True])
def test_an_administrators_delete_revokes_them_too(user, api_client, admin_client, bulk):
    app = script_client("jwt")
    row, token = token_create(user=user, name="script", scopes=["beers:read"], lifetime_days=7)
    issued = tokens_from(api_client, app, user, token)
    changelist = "/admin/personaltokens/personalaccesstoken/"

    if bulk:
        response = admin_client.post(
            changelist, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
        )
    else:
        response = admin_client.post(f"{changelist}{row.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not PersonalAccessToken.objects.filter(pk=row.pk).exists()
    assert bearer_api(issued["access_token"]).get("/api/beers").status_code == 401
    refused_refresh(api_client, app, issued["refresh_token"])
