"""Growth (issue 10, item 6): a locker is not counted on every page; /api/stats is not a
whole-table scan per call. The page/page_size contract and its exact ``count`` stay as documented."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oauthclients.grants import CLIENT_CREDENTIALS
from tests.factories import BeerFactory, make_client
from tests.support.http import bearer_api
from tests.support.oauth import mint_tokens

pytestmark = pytest.mark.django_db


def listing(api, **params):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/beers", params)
    assert response.status_code == 200, response.content
    return response.json(), [query["sql"] for query in queries.captured_queries]


def test_a_lockers_count_is_exact_and_counted_once_not_on_every_page(bearer_client, user):
    BeerFactory.create_batch(12, owner=user)
    api = bearer_client("beers:read")

    first, first_sql = listing(api, page_size=5)
    second, second_sql = listing(api, page_size=5, page=2)

    assert first["count"] == second["count"] == 12
    assert len(first_sql) == 3, first_sql  # token, count (then kept in the cache), page
    assert "COUNT(*)" in first_sql[1]
    assert len(second_sql) == 2, second_sql  # token, page
    assert not any("COUNT(" in sql for sql in second_sql)
    assert [len(first["results"]), len(second["results"])] == [5, 5]
    assert "page=3" in second["next"] and "page_size=5" in second["next"]


def test_a_beer_added_or_removed_through_the_api_changes_the_count_at_once(
    bearer_client, user, django_capture_on_commit_callbacks
):
    BeerFactory.create_batch(12, owner=user)
    api = bearer_client("beers:read beers:write")
    assert listing(api)[0]["count"] == 12

    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/beers", {"name": "Porter"}, format="json")
    assert created.status_code == 201
    assert listing(api)[0]["count"] == 13

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/beers/{created.json()['id']}").status_code == 204
    assert listing(api)[0]["count"] == 12


def test_beers_deleted_around_the_services_change_the_count_at_once(
    bearer_client, user, django_capture_on_commit_callbacks
):
    from lockers.models import Beer

    BeerFactory.create_batch(6, owner=user)
    api = bearer_client("beers:read")
    assert listing(api)[0]["count"] == 6

    # What the admin's "delete selected" and a cascade do: a queryset delete, no service.
    with django_capture_on_commit_callbacks(execute=True):
        Beer.objects.filter(
            pk__in=list(Beer.objects.filter(owner=user).values_list("pk", flat=True)[:2])
        ).delete()

    assert listing(api)[0]["count"] == 4


def test_a_count_stored_while_a_beer_is_being_added_is_not_served_after_it(bearer_client, user):
    """The version moves when the beer is saved, not only at commit: a count read in between is
    stored for a version that no longer holds once the beer is there."""
    BeerFactory.create_batch(3, owner=user)
    api = bearer_client("beers:read")
    assert listing(api)[0]["count"] == 3

    BeerFactory(owner=user)  # in the test's transaction: its commit never comes

    assert listing(api)[0]["count"] == 4


def test_lockers_are_counted_apart(access_token, user, other_user):
    BeerFactory.create_batch(12, owner=user)
    BeerFactory.create_batch(8, owner=other_user)

    mine = listing(bearer_api(access_token("beers:read")))[0]
    theirs = listing(bearer_api(access_token("beers:read", user=other_user)))[0]

    assert (mine["count"], theirs["count"]) == (12, 8)


def test_a_filtered_list_is_counted_as_asked_not_from_the_cache(bearer_client, user):
    BeerFactory.create_batch(9, owner=user, type="Stout")
    BeerFactory.create_batch(4, owner=user, type="Ale")
    api = bearer_client("beers:read")
    assert listing(api)[0]["count"] == 13

    stouts, sql = listing(api, type="Stout")
    assert stouts["count"] == 9
    assert any("COUNT(*)" in statement for statement in sql)
    assert listing(api, search="zzz-none")[0]["count"] == 0


def test_a_page_past_the_end_is_still_a_404(bearer_client, user):
    BeerFactory.create_batch(12, owner=user)

    response = bearer_client("beers:read").get("/api/beers", {"page": 4, "page_size": 5})

    assert response.status_code == 404


# --- /api/stats ----------------------------------------------------------------------------------


@pytest.fixture
def stats_api(user):
    client, _secret = make_client(grant_types=[CLIENT_CREDENTIALS], scope="stats:read")
    return bearer_api(mint_tokens(None, scope="stats:read", application=client)["access_token"])


def stats(api):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/stats")
    assert response.status_code == 200
    return response.json(), len(queries)


def test_stats_are_computed_once_then_served_from_the_cache(stats_api, user):
    BeerFactory(owner=user, quantity=6)

    first, first_queries = stats(stats_api)
    second, second_queries = stats(stats_api)

    assert first == second == {"users": 2, "beers": 1, "bottles": 6}
    assert first_queries == 3  # token, users, beers with bottles
    assert second_queries == 1  # token


def test_stats_may_be_stale_for_at_most_the_configured_seconds(stats_api, user, settings):
    BeerFactory(owner=user, quantity=6)
    assert stats(stats_api)[0]["beers"] == 1
    BeerFactory(owner=user, quantity=1)

    assert stats(stats_api)[0]["beers"] == 1  # within STATS_CACHE_SECONDS
    settings.LOCKERS = {"STATS_CACHE_SECONDS": 0}
    assert stats(stats_api)[0] == {"users": 2, "beers": 2, "bottles": 7}


def test_the_beer_serializer_says_exactly_what_drfs_generic_loop_says(user):
    from rest_framework import serializers

    from lockers.serializers import BeerSerializer

    beers = [
        BeerFactory(owner=user, name="Ale ünïcode", type="", quantity=0),
        BeerFactory(owner=user, quantity=7),
    ]

    fast = BeerSerializer(beers, many=True).data
    generic = [serializers.ModelSerializer.to_representation(BeerSerializer(), beer) for beer in beers]

    assert [dict(item) for item in fast] == [dict(item) for item in generic]
    assert fast[0]["created"].endswith("Z") and fast[0]["type"] == "" and fast[0]["quantity"] == 0
