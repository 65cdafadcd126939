import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import BeerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_listing_beers_with_a_bearer_token_costs_at_most_three_queries(bearer_client, user, page_size):
    BeerFactory.create_batch(120, owner=user)
    client = bearer_client()

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/beers", {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    # token (with its user and client), count, page
    assert len(queries) <= 3, [query["sql"] for query in queries.captured_queries]
