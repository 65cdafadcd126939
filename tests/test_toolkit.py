"""The test toolkit builds state the way the product does, so a test cannot pass on a shortcut."""

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from lockers.models import Beer
from oauthclients.models import Client
from tests.factories import BeerFactory, ClientFactory, UserFactory, make_client
from tests.support.http import bearer_api
from tests.support.oauth import AccessToken, Grant, RefreshToken, mint_code, mint_tokens

pytestmark = pytest.mark.django_db


def test_client_factory_registers_through_client_create_and_keeps_only_a_hash():
    client = ClientFactory(redirect_uris="https://a.example.com/cb https://b.example.com/cb")

    stored = Client.objects.get(pk=client.pk)
    assert stored.redirect_uris == "https://a.example.com/cb https://b.example.com/cb"
    assert stored.scope == "beers:read beers:write"  # client_create's default, not the factory's ""
    assert client.raw_secret not in stored.client_secret
    assert check_password(client.raw_secret, stored.client_secret)


def test_client_factory_refuses_what_registration_refuses_and_writes_nothing():
    with pytest.raises(ValidationError) as caught:
        ClientFactory(redirect_uris=["http://client.example.com/cb"])

    assert set(caught.value.message_dict) == {"redirect_uris"}
    assert not Client.objects.exists()


def test_make_client_public_has_no_secret_and_trust_goes_through_client_set_trust():
    public, secret = make_client(secret=False)
    trusted = ClientFactory(first_party=True, allow_introspection=True)

    assert secret is None
    assert public.client_type == Client.CLIENT_PUBLIC
    assert (trusted.skip_authorization, trusted.allow_introspection) == (True, True)


def test_user_factory_runs_the_password_validators_and_beer_factory_the_beer_rules():
    with pytest.raises(ValidationError) as weak:
        UserFactory(password="123")
    with pytest.raises(ValidationError) as empty:
        BeerFactory(name="")

    assert set(weak.value.message_dict) == {"password"}
    assert set(empty.value.message_dict) == {"name"}
    assert not Beer.objects.exists()
    assert UserFactory(password=None).has_usable_password() is False


def test_minted_tokens_are_stored_hashed_and_work_on_the_api(user):
    tokens = mint_tokens(user, scope="beers:read", refresh=True)
    code = mint_code(user, ClientFactory())

    assert bearer_api(tokens["access_token"]).get("/api/beers").status_code == 200
    assert bearer_api(tokens["access_token"]).post("/api/beers", {"name": "Orval"}).status_code == 403
    assert not AccessToken.objects.filter(token=tokens["access_token"]).exists()
    assert not RefreshToken.objects.filter(token=tokens["refresh_token"]).exists()
    assert not Grant.objects.filter(code=code).exists()
    assert Grant.objects.count() == 1


def test_access_token_fixture_expired_and_application_tokens(access_token, user):
    expired = access_token(expires_in=-10)
    application_only = access_token(scope="stats:read", user=None)

    assert bearer_api(expired).get("/api/beers").status_code == 401
    assert AccessToken.objects.get(user=None).scope == "stats:read"
    assert bearer_api(application_only).get("/api/beers").status_code == 403
