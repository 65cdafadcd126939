"""lockers.services without HTTP: the rules every caller (API, pages, admin, commands) gets."""

import pytest
from django.core.exceptions import ValidationError

from lockers import services
from lockers.models import MAX_QUANTITY, Beer

pytestmark = pytest.mark.django_db


def test_beer_create_adds_a_beer_to_the_owners_locker(user):
    beer = services.beer_create(owner=user, name="Orval", type="Trappist", quantity=6)

    assert Beer.objects.owned_by(user).get() == beer
    assert (beer.name, beer.type, beer.quantity) == ("Orval", "Trappist", 6)


@pytest.mark.parametrize(
    ("fields", "invalid"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Orval", "quantity": MAX_QUANTITY + 1}, "quantity"),
    ],
)
def test_beer_create_refuses_invalid_fields_and_writes_nothing(user, fields, invalid):
    with pytest.raises(ValidationError) as caught:
        services.beer_create(owner=user, **fields)

    assert set(caught.value.message_dict) == {invalid}
    assert not Beer.objects.exists()


def test_beer_update_changes_the_given_fields_only(user):
    beer = services.beer_create(owner=user, name="Orval", type="Trappist", quantity=6)

    services.beer_update(beer=beer, quantity=5)

    beer.refresh_from_db()
    assert (beer.name, beer.type, beer.quantity, beer.owner) == ("Orval", "Trappist", 5, user)


def test_beer_update_refuses_invalid_values_and_keeps_the_stored_beer(user):
    beer = services.beer_create(owner=user, name="Orval", quantity=6)

    with pytest.raises(ValidationError):
        services.beer_update(beer=beer, name="", quantity=1)

    assert Beer.objects.values_list("name", "quantity").get() == ("Orval", 6)


def test_beer_update_never_changes_the_owner(user, other_user):
    beer = services.beer_create(owner=user, name="Orval")

    with pytest.raises(TypeError, match="owner"):
        services.beer_update(beer=beer, owner=other_user)

    assert Beer.objects.get().owner == user


def test_beer_delete_removes_only_that_beer(user):
    kept = services.beer_create(owner=user, name="Duvel")
    beer = services.beer_create(owner=user, name="Orval")

    services.beer_delete(beer=beer)

    assert list(Beer.objects.all()) == [kept]


def test_beer_drink_takes_one_bottle(user):
    beer = services.beer_create(owner=user, name="Orval", quantity=2)

    drunk = services.beer_drink(beer=beer)

    assert drunk.quantity == 1
    assert Beer.objects.get(pk=beer.pk).quantity == 1


def test_beer_drink_refuses_when_none_is_left_and_keeps_the_beer(user):
    beer = services.beer_create(owner=user, name="Orval", quantity=0)

    with pytest.raises(ValidationError) as refused:
        services.beer_drink(beer=beer)

    assert refused.value.message_dict == {"quantity": ["No bottles of Orval are left."]}
    assert Beer.objects.get(pk=beer.pk).quantity == 0
