"""The doors that cannot ask for a second factor (issue 21): HTTP Basic and the password grant
refuse the password of a user who has one, naming the alternative, and accept that user's personal
access token in the password's place, held to the token's scopes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from oauthclients.grants import PASSWORD as PASSWORD_GRANT
from oauthclients.grants import REFRESH_TOKEN
from oauthclients.models import AccessTokenSignIn
from oauthclients.oauth2.oidc import authn
from personaltokens.models import PersonalAccessToken
from personaltokens.services import token_create, token_revoke
from tests.factories import PASSWORD, make_client
from tests.support.http import basic_api, bearer_api, signed_in_with_password
from tests.support.oauth import token_request
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
