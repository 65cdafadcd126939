"""Run by tests/lockers/test_standalone.py in a fresh pytest process with
``--ds=tests.standalone.lockers_settings`` and no conftest: lockers in a project of its own.

Not named test_*.py, so the main suite never collects it under the main settings.
"""

import sys

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import get_resolver
from rest_framework.test import APIClient

from lockers import services
from lockers.models import Beer
from tests.support.http import basic_api, basic_auth_header

pytestmark = pytest.mark.django_db
PASSWORD = "a long passphrase"  # noqa: S105


def basic_client(user):
    return basic_api(user.username, PASSWORD)


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def bob():
    return get_user_model().objects.create_user("bob", password=PASSWORD)


def test_only_lockers_of_ours_is_installed_or_imported():
    get_resolver().url_patterns  # noqa: B018 - imports every view and page the URLs name
    ours = {"lockers", "oauthclients", "socialaccounts", "accounts", "beerlocker", "oauth2_provider"}
    assert [app.name for app in apps.get_app_configs() if app.name in ours] == ["lockers"]
    assert sorted(name for name in ours - {"lockers"} if name in sys.modules) == []


def test_basic_user_adds_and_lists_beers(alice):
    client = basic_client(alice)

    created = client.post("/api/beers", {"name": "Orval", "type": "Trappist", "quantity": 2}, format="json")
    listed = client.get("/api/beers")

    assert created.status_code == 201, created.content
    assert (created.json()["name"], created.json()["quantity"]) == ("Orval", 2)
    assert listed.status_code == 200
    assert [beer["name"] for beer in listed.json()["results"]] == ["Orval"]
    assert Beer.objects.get().owner == alice


def test_another_users_beer_is_a_404_and_stays(alice, bob):
    beer = services.beer_create(owner=bob, name="Duvel")
    client = basic_client(alice)

    shown = client.get(f"/api/beers/{beer.pk}")
    deleted = client.delete(f"/api/beers/{beer.pk}")

    assert (shown.status_code, shown.json()) == (404, {"detail": "No Beer matches the given query."})
    assert deleted.status_code == 404
    assert Beer.objects.filter(pk=beer.pk).exists()
    assert client.get("/api/beers").json()["results"] == []


def test_wrong_password_is_a_401_with_a_basic_challenge(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth_header("alice", "wrong"))

    response = client.get("/api/beers")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'
    assert Beer.objects.count() == 0


def test_invalid_beer_is_a_400_and_writes_nothing(alice):
    response = basic_client(alice).post("/api/beers", {"name": "", "quantity": -1}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"name", "quantity"}
    assert Beer.objects.count() == 0


def test_pages_render_with_the_apps_own_templates_and_page_size(client, alice):
    for number in range(6):
        services.beer_create(owner=alice, name=f"Beer {number}")
    client.force_login(alice)

    added = client.post("/my-beers/add/", {"name": "Orval", "type": "Trappist", "quantity": 2}, follow=True)

    assert added.redirect_chain == [("/my-beers/", 302)]
    body = added.content.decode()
    assert "<title>My locker" in body  # lockers/base.html, the app's own
    assert "Added Orval." in body
    # LOCKERS["PAGE_SIZE"] is 5 in this project: the newest five of seven.
    assert [f"Beer {n}" in body for n in range(6)] == [False, False, True, True, True, True]
    assert Beer.objects.filter(owner=alice, name="Orval", quantity=2).exists()
