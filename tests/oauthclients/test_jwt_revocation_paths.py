"""Every way a user, a client or a token stops being usable also stops its JWT access tokens
(RFC 9068), which the API verifies without reading their rows: each path below ends with a real
JWT access token refused by the API (401), as the row would refuse an opaque token. Bulk changes
Django sends no signal for (a queryset's ``update()``/``bulk_update()``) included; the admin's
bulk actions included."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from rest_framework.test import APIClient

from accounts import services as account_services
from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, REFRESH_TOKEN
from oauthclients.models import Client
from tests.factories import UserFactory, make_client
from tests.support.http import bearer_api
from tests.support.oauth import refresh, token_request, user_tokens

pytestmark = pytest.mark.django_db
User = get_user_model()
AccessToken = get_access_token_model()


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
    tokens = user_tokens(signed_in, api_client, client, secret, scope="openid beers:read")
    assert tokens["access_token"].count(".") == 2  # a JWT
    assert works(tokens["access_token"])
    return tokens


@pytest.fixture
def machine_jwt(db):
    """A client-credentials JWT of a client whose owner is ``developer`` (its ``sub`` is the client)."""
    developer = UserFactory()
    client, secret = make_client(
        user=developer, grant_types=[CLIENT_CREDENTIALS], scope="stats:read", access_token_format="jwt"
    )
    response = token_request(APIClient(), client, secret, grant_type="client_credentials")
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    assert bearer_api(token).get("/api/stats").status_code == 200
    return developer, client, token


def works(token: str, path: str = "/api/beers") -> bool:
    response = bearer_api(token).get(path)
    assert response.status_code in (200, 401), response.content
    if response.status_code == 401:
        assert 'error="invalid_token"' in response["WWW-Authenticate"]
    return response.status_code == 200


# --- Users ------------------------------------------------------------------------------------------


def test_a_bulk_deactivation_refuses_the_users_jwts(jwt_tokens, user, other_user):
    assert User.objects.filter(pk__in=[user.pk]).update(is_active=False) == 1

    response = bearer_api(jwt_tokens["access_token"]).get("/api/beers")
    assert response.status_code == 401
    assert "disabled" in response.json()["detail"]
    assert AccessToken.objects.exists()  # the row stays, as for an opaque token


def test_an_update_that_leaves_users_active_marks_nothing(jwt_tokens, user):
    User.objects.filter(pk=user.pk).update(first_name="Renamed")
    User.objects.filter(pk=user.pk).update(is_active=True)

    assert works(jwt_tokens["access_token"])


def test_a_bulk_update_deactivating_users_refuses_their_jwts(jwt_tokens, user):
    user.is_active = False
    User.objects.bulk_update([user], ["is_active"])

    assert not works(jwt_tokens["access_token"])


@pytest.mark.parametrize("how", ["bulk", "save"])
def test_deactivating_a_clients_owner_refuses_the_clients_jwts(machine_jwt, how):
    developer, _client, token = machine_jwt

    if how == "bulk":
        User.objects.filter(username=developer.username).update(is_active=False)
    else:
        developer.is_active = False
        developer.save(update_fields=["is_active"])

    assert not works(token, "/api/stats")


def test_reactivating_does_not_bring_back_the_tokens_issued_before(
    jwt_tokens, user, signed_in, api_client, jwt_app
):
    User.objects.filter(pk=user.pk).update(is_active=False)
    User.objects.filter(pk=user.pk).update(is_active=True)

    assert not works(jwt_tokens["access_token"])


@pytest.mark.parametrize("how", ["service", "queryset", "instance"])
def test_deleting_the_user_refuses_their_jwts(jwt_tokens, user, how):
    if how == "service":
        account_services.user_delete(user=user)
    elif how == "queryset":
        User.objects.filter(pk=user.pk).delete()
    else:
        User.objects.get(pk=user.pk).delete()

    assert not works(jwt_tokens["access_token"])


def test_the_admins_bulk_delete_of_users_refuses_their_jwts(admin_client, jwt_tokens, user):
    from activity.models import Event

    # The activity log's admin refuses deletes, so the admin deletes no user who has events (the
    # log's choice); the tokens' admins refusing deletes no longer blocks it.
    Event.objects.all().delete()
    response = admin_client.post(
        "/admin/auth/user/", {"action": "delete_selected", "_selected_action": [user.pk], "post": "yes"}
    )

    assert response.status_code == 302, response.content
    assert not User.objects.filter(pk=user.pk).exists()
    assert not works(jwt_tokens["access_token"])


def test_a_password_set_through_the_service_refuses_the_users_jwts(jwt_tokens, user):
    account_services.user_password_changed(user=user, how="admin")

    assert not works(jwt_tokens["access_token"])


# --- Tokens -----------------------------------------------------------------------------------------


def test_deleting_token_rows_in_bulk_refuses_their_jwts(jwt_tokens, user):
    AccessToken.objects.filter(user=user).delete()

    assert not works(jwt_tokens["access_token"])


@pytest.mark.parametrize("field", ["expires", "scope"])
def test_changing_token_rows_in_bulk_refuses_their_jwts(jwt_tokens, user, field):
    change = {"expires": timezone.now(), "scope": "openid"}[field]
    assert AccessToken.objects.filter(user=user).update(**{field: change}) == 1

    assert not works(jwt_tokens["access_token"])


def test_a_bulk_update_of_other_token_fields_marks_nothing(jwt_tokens, user):
    AccessToken.objects.filter(user=user).update(token="")

    assert works(jwt_tokens["access_token"])


def test_reusing_a_rotated_refresh_token_revokes_the_familys_jwt(api_client, jwt_app, jwt_tokens):
    client, secret = jwt_app
    rotated = refresh(api_client, client, secret, jwt_tokens["refresh_token"]).json()
    assert works(rotated["access_token"])

    # The old refresh token again: a thief's replay (RFC 9700 §4.14.2); the whole family is revoked.
    assert refresh(api_client, client, secret, jwt_tokens["refresh_token"]).status_code == 400

    assert not works(rotated["access_token"])
    assert get_refresh_token_model().objects.filter(revoked__isnull=True).count() == 0


def test_the_token_admins_revoke_action_refuses_the_jwt(admin_client, jwt_tokens):
    changelist = "/admin/oauth2_provider/accesstoken/"
    selected = {"_selected_action": [AccessToken.objects.get().pk]}
    # DOT's token admin has no bulk delete (revocation is the way)...
    refused = admin_client.post(changelist, {"action": "delete_selected", **selected, "post": "yes"})
    assert AccessToken.objects.exists(), refused
    assert works(jwt_tokens["access_token"])

    response = admin_client.post(changelist, {"action": "revoke_tokens", **selected})

    assert response.status_code == 302, response.content
    assert not AccessToken.objects.exists()
    assert not works(jwt_tokens["access_token"])


def test_saving_a_token_row_with_another_expiry_refuses_its_jwt(jwt_tokens):
    # As the admin's change form does.
    row = AccessToken.objects.get()
    row.expires = timezone.now()
    row.save()

    assert not works(jwt_tokens["access_token"])


def test_a_refresh_that_does_not_rotate_refuses_the_jwt_it_replaces(
    api_client, jwt_app, jwt_tokens, settings
):
    # DOT then saves the new token into the old row: the old JWT's checksum leaves the table.
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ROTATE_REFRESH_TOKEN": False}
    client, secret = jwt_app

    renewed = refresh(api_client, client, secret, jwt_tokens["refresh_token"]).json()

    assert renewed["refresh_token"] == jwt_tokens["refresh_token"]  # not rotated
    assert AccessToken.objects.count() == 1  # the same row, with the new token
    assert works(renewed["access_token"])
    assert not works(jwt_tokens["access_token"])


# --- Clients ----------------------------------------------------------------------------------------


def test_deleting_clients_in_bulk_refuses_their_jwts(jwt_app, jwt_tokens, machine_jwt):
    _developer, machine, token = machine_jwt

    Client.objects.filter(pk__in=[jwt_app[0].pk, machine.pk]).delete()

    assert not works(jwt_tokens["access_token"])
    assert not works(token, "/api/stats")


def test_the_admins_bulk_delete_of_clients_refuses_their_jwts(admin_client, jwt_app, jwt_tokens):
    response = admin_client.post(
        "/admin/oauthclients/client/",
        {"action": "delete_selected", "_selected_action": [jwt_app[0].pk], "post": "yes"},
    )

    assert response.status_code == 302, response.content
    assert not Client.objects.exists()
    assert not works(jwt_tokens["access_token"])


def test_the_admins_revoke_all_tokens_action_refuses_the_clients_jwts(admin_client, jwt_app, jwt_tokens):
    response = admin_client.post(
        "/admin/oauthclients/client/", {"action": "revoke_tokens", "_selected_action": [jwt_app[0].pk]}
    )

    assert response.status_code == 302, response.content
    assert not works(jwt_tokens["access_token"])


def test_a_users_queryset_still_pickles(user):
    import pickle

    users = User.objects.filter(pk=user.pk)
    assert list(pickle.loads(pickle.dumps(users))) == [user]  # noqa: S301 - our own bytes
