"""beerlocker_api.compiled: a lookup compiled once answers exactly what the ORM answers, in one query."""

import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import get_access_token_model

from beerlocker_api.compiled import CompiledLookup, Part
from oauthclients.grants import CLIENT_CREDENTIALS
from oauthclients.models import Client
from tests.factories import ClientFactory, UserFactory
from tests.support.oauth import mint_tokens

# Each test runs with the speed layers on and off (tests/conftest.py ``speed_layers``): same answers.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("speed_layers")]

AccessToken = get_access_token_model()
User = get_user_model()


def token_lookup():
    return CompiledLookup(
        "token_checksum",
        Part("", AccessToken, ("id", "user_id", "application_id", "expires", "scope", "resource")),
        Part("user", User),
        Part("application", Client, ("id", "user_id")),
        Part("application__user", User, ("id", "is_active")),
    )


def checksum(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def test_the_instances_are_the_orms_with_related_rows_attached_in_one_query(user):
    raw = mint_tokens(user, scope="beers:read")["access_token"]
    lookup = token_lookup()
    lookup.get(checksum(raw))  # compiled on first use

    with CaptureQueriesContext(connection) as queries:
        found = lookup.get(checksum(raw))

    assert len(queries) == 1
    orm = AccessToken.objects.select_related("user", "application__user").get(token_checksum=checksum(raw))
    assert (found.pk, found.expires, found.scope, found.resource) == (orm.pk, orm.expires, orm.scope, [])
    assert found.expires.tzinfo is not None  # converted as the ORM converts (SQLite keeps text)
    assert found.user == orm.user
    assert [getattr(found.user, f.attname) for f in User._meta.concrete_fields] == [
        getattr(orm.user, f.attname) for f in User._meta.concrete_fields
    ]
    assert found.application.pk == orm.application.pk
    assert found.application.user.is_active is True
    assert found.application.is_usable(None) is True
    with CaptureQueriesContext(connection) as queries:
        found.user, found.application.user  # noqa: B018 - attached: no query
    assert len(queries) == 0


@pytest.mark.fast_paths  # the compiled path's own deferral; the ORM's path reads every field
def test_fields_not_selected_are_read_on_first_access_like_only(user):
    raw = mint_tokens(user, scope="beers:read")["access_token"]
    found = token_lookup().get(checksum(raw))

    assert "name" in found.application.get_deferred_fields()
    with CaptureQueriesContext(connection) as queries:
        name = found.application.name
    assert name == Client.objects.get(pk=found.application_id).name
    assert len(queries) == 1


def test_a_missing_related_row_is_none_and_an_unknown_value_is_none():
    client = ClientFactory(grant_types=[CLIENT_CREDENTIALS])
    raw = mint_tokens(None, scope="", application=client)["access_token"]
    lookup = token_lookup()

    found = lookup.get(checksum(raw))

    assert found.user is None and found.user_id is None
    assert lookup.get(checksum("not a token")) is None


def test_a_deactivated_owner_is_read_as_it_is_now(user):
    owner = UserFactory()
    client = ClientFactory(user=owner)
    raw = mint_tokens(user, scope="beers:read", application=client)["access_token"]
    lookup = token_lookup()
    assert lookup.get(checksum(raw)).application.is_usable(None) is True

    User.objects.filter(pk=owner.pk).update(is_active=False)

    assert lookup.get(checksum(raw)).application.is_usable(None) is False


def test_a_part_naming_a_field_the_model_lacks_is_refused():
    with pytest.raises(ValueError, match="no concrete fields"):
        CompiledLookup("token_checksum", Part("", AccessToken, ("id", "nope"))).get("x")


@pytest.mark.fast_paths  # sets the switch itself
def test_with_compiled_lookups_off_the_orm_reads_the_same_row_with_every_field(user, settings):
    raw = mint_tokens(user, scope="beers:read")["access_token"]
    compiled = token_lookup().get(checksum(raw))
    settings.BEERLOCKER_API = {"COMPILED_LOOKUPS": False}

    with CaptureQueriesContext(connection) as queries:
        found = token_lookup().get(checksum(raw))

    assert len(queries) == 1
    assert (found.pk, found.user, found.application.pk) == (
        compiled.pk,
        compiled.user,
        compiled.application.pk,
    )
    assert "name" in compiled.application.get_deferred_fields()
    assert found.application.get_deferred_fields() == set()  # the ORM's path, not the compiled one
    assert token_lookup().get(checksum("not a token")) is None
