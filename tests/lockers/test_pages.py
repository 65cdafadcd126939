"""The "My locker" pages: owner-scoped, through the same services (and rules) as the API."""

import pytest
from django.test import Client

from lockers.models import MAX_QUANTITY, Beer
from tests.factories import BeerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/account/beers/", "/account/beers/add/", "/account/beers/1/edit/"])
def test_pages_need_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={path}"


def test_list_shows_only_my_beers(signed_in, user, other_user):
    BeerFactory(owner=user, name="Orval", type="Trappist", quantity=6)
    BeerFactory(owner=other_user, name="Someone else's stout")

    response = signed_in.get("/account/beers/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Orval" in body and "Trappist" in body
    assert "Someone else" not in body


def test_empty_locker_says_so(signed_in):
    assert "Your locker is empty." in signed_in.get("/account/beers/").content.decode()


def test_list_is_paginated_in_a_fixed_number_of_queries(signed_in, user, django_assert_max_num_queries):
    BeerFactory.create_batch(25, owner=user)

    with django_assert_max_num_queries(6):
        response = signed_in.get("/account/beers/")
    assert len(response.context["beers"]) == 20
    assert len(signed_in.get("/account/beers/?page=2").context["beers"]) == 5


def test_add_a_beer(signed_in, user):
    response = signed_in.post("/account/beers/add/", {"name": "Orval", "type": "Trappist", "quantity": 6})

    assert response.status_code == 302
    assert response.url == "/account/beers/"
    beer = Beer.objects.get()
    assert (beer.owner, beer.name, beer.type, beer.quantity) == (user, "Orval", "Trappist", 6)
    assert "Added Orval." in signed_in.get(response.url).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "quantity": 1}, "name"),
        ({"name": "x" * 101, "quantity": 1}, "name"),
        ({"name": "Orval", "quantity": -1}, "quantity"),
        ({"name": "Orval", "quantity": MAX_QUANTITY + 1}, "quantity"),
        ({"name": "Orval", "quantity": "many"}, "quantity"),
        ({"name": "Orval", "type": "t" * 51, "quantity": 1}, "type"),
    ],
)
def test_add_with_bad_input_shows_the_error_and_writes_nothing(signed_in, data, field):
    response = signed_in.post("/account/beers/add/", data)

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert 'class="errorlist"' in response.content.decode()
    assert not Beer.objects.exists()


def test_add_without_csrf_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/account/beers/add/", {"name": "Orval", "quantity": 1})

    assert response.status_code == 403
    assert not Beer.objects.exists()


def test_edit_a_beer(signed_in, user):
    beer = BeerFactory(owner=user, name="Orval", quantity=6)

    page = signed_in.get(f"/account/beers/{beer.pk}/edit/")
    response = signed_in.post(f"/account/beers/{beer.pk}/edit/", {"name": "Orval", "type": "", "quantity": 5})

    beer.refresh_from_db()
    assert page.status_code == 200
    assert 'value="Orval"' in page.content.decode()
    assert response.status_code == 302
    assert beer.quantity == 5


def test_edit_with_bad_input_changes_nothing(signed_in, user):
    beer = BeerFactory(owner=user, name="Orval", quantity=6)

    response = signed_in.post(f"/account/beers/{beer.pk}/edit/", {"name": "", "quantity": 5})

    beer.refresh_from_db()
    assert response.status_code == 200
    assert (beer.name, beer.quantity) == ("Orval", 6)


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_someone_elses_beer_is_a_404(signed_in, other_user, action):
    beer = BeerFactory(owner=other_user, name="Theirs")

    assert signed_in.get(f"/account/beers/{beer.pk}/{action}/").status_code == 404
    response = signed_in.post(f"/account/beers/{beer.pk}/{action}/", {"name": "Mine", "quantity": 1})

    assert response.status_code == 404
    assert Beer.objects.get().name == "Theirs"


def test_absurd_id_is_a_404(signed_in):
    assert signed_in.get("/account/beers/9999999999999999999999/edit/").status_code == 404


def test_delete_asks_then_deletes(signed_in, user):
    beer = BeerFactory(owner=user, name="Orval")

    page = signed_in.get(f"/account/beers/{beer.pk}/delete/")
    assert page.status_code == 200
    assert "Delete Orval?" in page.content.decode()
    assert Beer.objects.exists()

    response = signed_in.post(f"/account/beers/{beer.pk}/delete/")

    assert response.status_code == 302
    assert not Beer.objects.exists()
    assert "Removed Orval." in signed_in.get(response.url).content.decode()
