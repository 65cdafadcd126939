import pytest
from django.urls import reverse

from lockers.models import Beer
from tests.factories import BeerFactory

pytestmark = pytest.mark.django_db

BEERS = "/api/beers"


def detail(beer):
    return f"/api/beers/{beer.pk}"


def test_create_returns_the_beer_and_stores_it_for_the_caller(basic_client, user):
    response = basic_client.post(BEERS, {"name": "Orval", "type": "Trappist", "quantity": 6}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "type", "quantity", "created", "updated"}
    assert (body["name"], body["type"], body["quantity"]) == ("Orval", "Trappist", 6)
    beer = Beer.objects.get(pk=body["id"])
    assert beer.owner == user


def test_quantity_defaults_to_one(basic_client):
    response = basic_client.post(BEERS, {"name": "Duvel"}, format="json")

    assert response.status_code == 201
    assert response.json()["quantity"] == 1
    assert response.json()["type"] == ""


@pytest.mark.parametrize("path", ["/api/beers", "/api/beers/"])
def test_post_works_with_and_without_trailing_slash(basic_client, path):
    response = basic_client.post(path, {"name": "Chimay"}, format="json")

    assert response.status_code == 201
    assert Beer.objects.filter(name="Chimay").count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "type": "t" * 51}, "type"),
        ({"name": "ok", "quantity": -1}, "quantity"),
        ({"name": "ok", "quantity": "many"}, "quantity"),
        ({"name": "ok", "quantity": 2**31}, "quantity"),
        ({"name": "ok", "quantity": 1.5}, "quantity"),
    ],
)
def test_invalid_beer_is_a_400_on_the_field_and_writes_nothing(basic_client, payload, field):
    response = basic_client.post(BEERS, payload, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field][0], str)
    assert not Beer.objects.exists()


def test_name_of_exactly_100_characters_is_accepted(basic_client):
    response = basic_client.post(BEERS, {"name": "x" * 100, "quantity": 0}, format="json")

    assert response.status_code == 201
    assert response.json()["quantity"] == 0


def test_list_shows_only_the_callers_beers(basic_client, user, other_user):
    mine = BeerFactory(owner=user, name="Mine")
    BeerFactory(owner=other_user, name="Theirs")

    response = basic_client.get(BEERS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [beer["id"] for beer in body["results"]] == [mine.pk]


def test_retrieve_update_and_delete_own_beer(basic_client, user):
    beer = BeerFactory(owner=user, name="Old", quantity=1)

    assert basic_client.get(detail(beer)).json()["name"] == "Old"

    put = basic_client.put(detail(beer), {"name": "New", "type": "Stout", "quantity": 3}, format="json")
    assert put.status_code == 200
    assert put.json()["name"] == "New"

    patch = basic_client.patch(f"{detail(beer)}/", {"quantity": 7}, format="json")
    assert patch.status_code == 200
    beer.refresh_from_db()
    assert (beer.name, beer.type, beer.quantity) == ("New", "Stout", 7)

    assert basic_client.delete(detail(beer)).status_code == 204
    assert not Beer.objects.filter(pk=beer.pk).exists()


def test_invalid_update_changes_nothing(basic_client, user):
    beer = BeerFactory(owner=user, name="Keep", quantity=2)

    response = basic_client.patch(detail(beer), {"quantity": -5, "name": ""}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"quantity", "name"}
    beer.refresh_from_db()
    assert (beer.name, beer.quantity) == ("Keep", 2)


@pytest.mark.parametrize(
    ("method", "payload"),
    [("get", None), ("put", {"name": "Stolen"}), ("patch", {"name": "Stolen"}), ("delete", None)],
)
def test_another_users_beer_is_a_404_and_stays_untouched(basic_client, other_user, method, payload):
    beer = BeerFactory(owner=other_user, name="Theirs")

    response = getattr(basic_client, method)(detail(beer), payload, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Beer matches the given query."}
    beer.refresh_from_db()
    assert beer.name == "Theirs"


def test_missing_beer_and_absurd_ids_are_json_404s(basic_client):
    assert basic_client.get("/api/beers/999999").status_code == 404
    response = basic_client.get("/api/beers/" + "9" * 40)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_pagination_defaults_to_20_and_caps_page_size_at_100(basic_client, user):
    BeerFactory.create_batch(130, owner=user)

    default = basic_client.get(BEERS).json()
    assert default["count"] == 130
    assert len(default["results"]) == 20
    assert default["previous"] is None
    assert "page=2" in default["next"]

    assert len(basic_client.get(BEERS, {"page_size": 5}).json()["results"]) == 5
    assert len(basic_client.get(BEERS, {"page_size": 500}).json()["results"]) == 100

    last = basic_client.get(BEERS, {"page_size": 100, "page": 2}).json()
    assert len(last["results"]) == 30
    assert last["next"] is None


def test_page_past_the_end_is_a_404(basic_client, user):
    BeerFactory(owner=user)

    response = basic_client.get(BEERS, {"page": 9})

    assert response.status_code == 404
    assert "detail" in response.json()


def test_filter_by_type_search_by_name_and_ordering(basic_client, user):
    BeerFactory(owner=user, name="Alpha Ale", type="Ale", quantity=3)
    BeerFactory(owner=user, name="Bravo Stout", type="Stout", quantity=1)
    BeerFactory(owner=user, name="Charlie Ale", type="ale", quantity=2)

    by_type = basic_client.get(BEERS, {"type": "ALE"}).json()["results"]
    assert sorted(beer["name"] for beer in by_type) == ["Alpha Ale", "Charlie Ale"]

    searched = basic_client.get(BEERS, {"search": "brav"}).json()["results"]
    assert [beer["name"] for beer in searched] == ["Bravo Stout"]

    ordered = basic_client.get(BEERS, {"ordering": "quantity"}).json()["results"]
    assert [beer["quantity"] for beer in ordered] == [1, 2, 3]
    ordered = basic_client.get(BEERS, {"ordering": "-name"}).json()["results"]
    assert [beer["name"] for beer in ordered] == ["Charlie Ale", "Bravo Stout", "Alpha Ale"]


def test_url_names_reverse_to_slashless_paths():
    assert reverse("lockers:beer-list") == "/api/beers"
    assert reverse("lockers:beer-detail", kwargs={"pk": 5}) == "/api/beers/5"
