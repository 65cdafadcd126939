import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from oauthclients import services
from oauthclients.models import Client
from tests.factories import ClientFactory
from tests.support.oauth import AccessToken, Grant, RefreshToken, token_counts

METADATA = {
    "client_name": "Beer Buddy",
    "redirect_uris": ["https://buddy.example.com/cb", "http://127.0.0.1:8765/cb"],
    "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
    "token_endpoint_auth_method": "client_secret_post",
    "scope": "beers:read stats:read",
}


def test_create_stores_metadata_dot_fields_and_only_a_hash_of_the_secret(user):
    client, raw_secret = services.client_create(owner=user, **METADATA)

    client = Client.objects.get(pk=client.pk)
    assert client.user == user
    assert client.name == "Beer Buddy"
    assert client.redirect_uris == "https://buddy.example.com/cb http://127.0.0.1:8765/cb"
    assert client.grant_types == ["authorization_code", "refresh_token", "client_credentials"]
    assert client.token_endpoint_auth_method == "client_secret_post"
    assert client.scope == "beers:read stats:read"
    assert client.client_type == Client.CLIENT_CONFIDENTIAL
    assert client.authorization_grant_type == Client.GRANT_AUTHORIZATION_CODE
    assert client.registration_source == Client.RegistrationSource.MANUAL
    assert len(raw_secret) == 128
    assert raw_secret not in client.client_secret
    assert check_password(raw_secret, client.client_secret)


@pytest.mark.parametrize(
    ("grant_types", "dot_grant"),
    [
        (["implicit"], Client.GRANT_IMPLICIT),
        (["password", "refresh_token"], Client.GRANT_PASSWORD),
        (["client_credentials"], Client.GRANT_CLIENT_CREDENTIALS),
        (["urn:ietf:params:oauth:grant-type:token-exchange"], Client.GRANT_CLIENT_CREDENTIALS),
    ],
)
def test_dot_primary_grant_follows_the_registered_grants(user, grant_types, dot_grant):
    client, _ = services.client_create(
        owner=user, **{**METADATA, "grant_types": grant_types, "scope": "beers:read"}
    )
    assert Client.objects.get(pk=client.pk).authorization_grant_type == dot_grant


def test_public_client_gets_no_secret_and_an_empty_secret_does_not_match(user):
    client, raw_secret = services.client_create(
        owner=user,
        **{
            **METADATA,
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code"],
            "scope": "",
        },
    )
    client.refresh_from_db()
    assert raw_secret is None
    assert client.client_type == Client.CLIENT_PUBLIC
    assert client.scope == "beers:read beers:write"
    assert not check_password("", client.client_secret)


def test_native_app_redirect_uri_passes_dot_model_checks(user):
    client, _ = services.client_create(owner=user, **{**METADATA, "redirect_uris": ["com.example.app:/cb"]})
    assert Client.objects.get(pk=client.pk).get_allowed_schemes() == ["https", "com.example.app"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"client_name": "  "}, "client_name"),
        ({"client_name": "x" * 256}, "client_name"),
        ({"client_name": None}, "client_name"),
        ({"redirect_uris": ["http://buddy.example.com/cb"]}, "redirect_uris"),
        ({"token_endpoint_auth_method": "none"}, "grant_types"),
    ],
)
def test_create_refuses_invalid_metadata_and_writes_nothing(user, changes, field):
    with pytest.raises(ValidationError) as error:
        services.client_create(owner=user, **{**METADATA, **changes})
    assert field in error.value.message_dict
    assert not Client.objects.exists()


def test_update_revalidates_the_whole_client_and_writes_nothing_on_failure(user):
    client, _ = services.client_create(owner=user, **METADATA)
    # Dropping client_credentials leaves stats:read, which only client_credentials may hold.
    with pytest.raises(ValidationError) as error:
        services.client_update(client=client, client_name="Renamed", grant_types=["authorization_code"])
    assert "scope" in error.value.message_dict
    stored = Client.objects.get(pk=client.pk)
    assert stored.name == "Beer Buddy"
    assert stored.grant_types == METADATA["grant_types"]


def test_update_changes_fields_and_keeps_dot_fields_consistent(user):
    client, _ = services.client_create(owner=user, **METADATA)
    services.client_update(
        client=client, grant_types=["client_credentials"], redirect_uris=[], scope="stats:read"
    )
    stored = Client.objects.get(pk=client.pk)
    assert stored.grant_types == ["client_credentials"]
    assert stored.redirect_uris == ""
    assert stored.authorization_grant_type == Client.GRANT_CLIENT_CREDENTIALS
    assert stored.name == "Beer Buddy"


def test_update_refuses_switching_between_public_and_confidential(user):
    client, _ = services.client_create(owner=user, **METADATA)
    with pytest.raises(ValidationError) as error:
        services.client_update(
            client=client, token_endpoint_auth_method="none", grant_types=["authorization_code"]
        )
    assert "cannot switch between public" in error.value.message_dict["token_endpoint_auth_method"][0]
    assert Client.objects.get(pk=client.pk).token_endpoint_auth_method == "client_secret_post"


def test_update_refuses_unknown_fields(user):
    client, _ = services.client_create(owner=user, **METADATA)
    with pytest.raises(TypeError):
        services.client_update(client=client, client_secret="chosen")


def test_rotate_secret_replaces_the_hash(user):
    client, old_secret = services.client_create(owner=user, **METADATA)
    new_secret = services.client_rotate_secret(client=client)
    stored = Client.objects.get(pk=client.pk).client_secret
    assert new_secret != old_secret
    assert check_password(new_secret, stored)
    assert not check_password(old_secret, stored)


def test_rotate_secret_refuses_a_public_client(user):
    client = ClientFactory(user=user, token_endpoint_auth_method="none")
    before = Client.objects.get(pk=client.pk).client_secret
    with pytest.raises(ValidationError):
        services.client_rotate_secret(client=client)
    assert Client.objects.get(pk=client.pk).client_secret == before


def test_revoke_tokens_revokes_only_that_clients_tokens(user, other_user, issue_tokens):
    client = ClientFactory(user=user)
    other = ClientFactory(user=other_user)
    issue_tokens(client, user)
    issue_tokens(client, other_user)
    issue_tokens(other, other_user)

    assert services.client_revoke_tokens(client=client) == 4

    assert token_counts(client) == (0, 0, 0)
    # Revoked refresh tokens stay as tombstones, so a replay is recognised as reuse.
    assert RefreshToken.objects.filter(application=client, revoked__isnull=False).count() == 2
    assert token_counts(other) == (1, 1, 1)


def test_delete_removes_the_client_with_its_tokens_and_codes(user, issue_tokens):
    client = ClientFactory(user=user)
    other = ClientFactory(user=user)
    issue_tokens(client, user)
    issue_tokens(other, user)

    services.client_delete(client=client)

    assert not Client.objects.filter(pk=client.pk).exists()
    assert not AccessToken.objects.filter(application_id=client.pk).exists()
    assert not RefreshToken.objects.filter(application_id=client.pk).exists()
    assert not Grant.objects.filter(application_id=client.pk).exists()
    assert token_counts(other) == (1, 1, 1)


def test_owned_by_returns_only_the_users_clients(user, other_user):
    mine = ClientFactory(user=user)
    ClientFactory(user=other_user)
    assert list(Client.objects.owned_by(user)) == [mine]
    assert not Client.objects.owned_by(None).exists()


def test_create_with_an_operators_client_id_keeps_it_and_refuses_it_twice(user):
    metadata = {
        "client_name": "API docs",
        "redirect_uris": ["http://127.0.0.1:8000/api/docs/oauth2-redirect.html"],
        "token_endpoint_auth_method": "none",
    }

    client, secret = services.client_create(owner=user, client_id="beerlocker-api-docs", **metadata)
    with pytest.raises(ValidationError) as refused:
        services.client_create(owner=user, client_id="beerlocker-api-docs", **metadata)

    assert (client.client_id, secret) == ("beerlocker-api-docs", None)
    assert "client_id" in refused.value.message_dict
    assert Client.objects.count() == 1
