"""/metrics: who may scrape it, and what the counters say after real requests (in this process;
tests/production/test_metrics_live.py checks the sums across gunicorn's workers)."""

import json
import re
from pathlib import Path

import pytest
import requests
from django.test import Client
from oauth2_provider.models import get_access_token_model

from oauthclients import outbound
from oauthclients.models import LogoutDelivery
from ops import metrics
from tests.factories import PASSWORD, ClientFactory
from tests.support.http import basic_auth_header
from tests.support.metrics import METRICS_TOKEN, names, samples, value
from tests.support.oauth import TOKEN, token_request

pytestmark = pytest.mark.django_db

DASHBOARD = Path(__file__).resolve().parents[2] / "ops" / "grafana" / "beerlocker.json"


def app_client(user):
    """A confidential client for its own tokens (client credentials, the site-wide totals scope)."""
    return ClientFactory(user=user, grant_types=["client_credentials"], redirect_uris=[], scope="stats:read")


@pytest.fixture
def token_only(settings):
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


@pytest.fixture
def scrape(token_only):
    """Scrapes /metrics with the token; returns the samples."""

    def get():
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
        assert response.status_code == 200
        return samples(response.content.decode())

    return get


# --- Who may scrape -------------------------------------------------------------------------------


def test_metrics_are_off_unless_a_token_or_a_network_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []

    response = client.get("/metrics")

    assert response.status_code == 404
    assert b"beerlocker_" not in response.content


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x", "Bearer"],
)
def test_metrics_refuse_a_missing_or_wrong_token(client, token_only, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get("/metrics", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"beerlocker_" not in response.content


def test_metrics_with_the_token_are_prometheus_text_whatever_the_host(client, token_only):
    # A scraper reaches each instance by its address: not in ALLOWED_HOSTS, and never logged.
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "# TYPE beerlocker_http_request_duration_seconds histogram" in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_metrics_from_outside_the_allowed_networks_are_not_found(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]

    outside = Client(REMOTE_ADDR="192.0.2.7").get("/metrics")
    inside = Client(REMOTE_ADDR="10.9.8.7").get("/metrics")
    inside_v6 = Client(REMOTE_ADDR="2001:db8::5").get("/metrics")

    assert outside.status_code == 404 and b"beerlocker_" not in outside.content
    assert inside.status_code == 200 and b"beerlocker_http_requests" in inside.content
    assert inside_v6.status_code == 200


def test_a_forged_forwarded_for_does_not_enter_the_allowed_networks(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    response = Client(REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="10.0.0.1").get("/metrics")

    assert response.status_code == 404


def test_with_a_network_and_a_token_both_are_required(settings):
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {METRICS_TOKEN}"}

    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics", **bearer).status_code == 404
    assert Client(REMOTE_ADDR="10.0.0.7").get("/metrics").status_code == 401
    assert Client(REMOTE_ADDR="10.0.0.7").get("/metrics", **bearer).status_code == 200


def test_metrics_take_no_post(client, token_only):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 405


# --- What is counted ------------------------------------------------------------------------------


def test_requests_are_counted_by_route_never_by_raw_path(client, scrape):
    before = scrape()
    for beer_id in (101, 202, 303):
        client.get(f"/api/beers/{beer_id}")
    client.get("/no-such-page-7f3a")

    text_after = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}").content.decode()
    after = samples(text_after)

    route = {"route": "lockers:beer-detail", "method": "GET", "status": "401"}
    assert (
        value(after, "beerlocker_http_requests_total", **route)
        - value(before, "beerlocker_http_requests_total", **route)
        == 3
    )
    bucket = {"route": "lockers:beer-detail", "method": "GET", "le": "+Inf"}
    assert (
        value(after, "beerlocker_http_request_duration_seconds_bucket", **bucket)
        - value(before, "beerlocker_http_request_duration_seconds_bucket", **bucket)
        == 3
    )
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(after, "beerlocker_http_requests_total", **unmatched) >= 1
    assert "/api/beers/101" not in text_after and "no-such-page-7f3a" not in text_after


def test_tokens_issued_are_counted_by_grant_and_client(api_client, scrape, user, settings):
    # Room for this client's label whatever the suite issued before (the cap is per process).
    settings.METRICS_CLIENT_LABEL_LIMIT = len(metrics._labelled_clients) + 1
    app = app_client(user)
    before = scrape()

    for _ in range(2):
        response = token_request(
            api_client, app, app.raw_secret, grant_type="client_credentials", scope="stats:read"
        )
        assert response.status_code == 200

    after = scrape()
    labels = {"grant": "client_credentials", "client_id": app.client_id}
    assert (
        value(after, "beerlocker_oauth_tokens_issued_total", **labels)
        - value(before, "beerlocker_oauth_tokens_issued_total", **labels)
        == 2
    )
    assert get_access_token_model().objects.filter(application=app).count() == 2


def test_client_labels_stop_at_the_limit(api_client, scrape, user, settings):
    settings.METRICS_CLIENT_LABEL_LIMIT = len(metrics._labelled_clients) + 1
    first, second = (app_client(user) for _ in range(2))
    before = scrape()

    for app in (first, second):
        assert (
            token_request(
                api_client, app, app.raw_secret, grant_type="client_credentials", scope="stats:read"
            ).status_code
            == 200
        )

    after = scrape()
    grant = "client_credentials"
    assert value(after, "beerlocker_oauth_tokens_issued_total", grant=grant, client_id=first.client_id) == 1
    assert (
        "beerlocker_oauth_tokens_issued_total",
        frozenset({"grant": grant, "client_id": second.client_id}.items()),
    ) not in after
    assert (
        value(after, "beerlocker_oauth_tokens_issued_total", grant=grant, client_id="other")
        - value(before, "beerlocker_oauth_tokens_issued_total", grant=grant, client_id="other")
        == 1
    )


def test_oauth_errors_are_counted_by_endpoint_and_code(api_client, scrape, user):
    app = app_client(user)
    before = scrape()

    wrong_grant = token_request(
        api_client, app, app.raw_secret, grant_type="password", username="x", password="y"
    )
    bad_secret = token_request(
        api_client, app, "not-the-secret", grant_type="client_credentials", scope="stats:read"
    )
    made_up = api_client.post(
        TOKEN,
        {"grant_type": "made-up-grant"},
        HTTP_AUTHORIZATION=basic_auth_header(app.client_id, app.raw_secret),
    )

    assert (wrong_grant.json()["error"], bad_secret.json()["error"], made_up.json()["error"]) == (
        "invalid_grant",
        "invalid_client",
        "unsupported_grant_type",
    )
    after = scrape()
    for error in ("invalid_grant", "invalid_client", "unsupported_grant_type"):
        labels = {"endpoint": "token", "error": error}
        assert (
            value(after, "beerlocker_oauth_errors_total", **labels)
            - value(before, "beerlocker_oauth_errors_total", **labels)
            == 1
        ), error
    assert not get_access_token_model().objects.filter(application=app).exists()


def test_an_authorization_error_redirected_to_the_client_is_counted(signed_in, scrape, application):
    before = scrape()

    response = signed_in.get(
        "/api/oauth2/authorize",
        {
            "response_type": "code",
            "client_id": application.client_id,
            "redirect_uri": application.redirect_uris.split()[0],
            "scope": "no-such-scope",
        },
    )

    assert response.status_code == 302 and "error=invalid_scope" in response["Location"]
    after = scrape()
    labels = {"endpoint": "authorize", "error": "invalid_scope"}
    assert (
        value(after, "beerlocker_oauth_errors_total", **labels)
        - value(before, "beerlocker_oauth_errors_total", **labels)
        == 1
    )


def test_sign_ins_are_counted_by_method_and_outcome(user, scrape):
    before = scrape()

    assert (
        Client().post("/accounts/login/", {"username": user.username, "password": "wrong"}).status_code == 200
    )
    assert (
        Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code
        == 302
    )

    after = scrape()
    for outcome in ("success", "failure"):
        labels = {"method": "password", "outcome": outcome}
        assert (
            value(after, "beerlocker_sign_ins_total", **labels)
            - value(before, "beerlocker_sign_ins_total", **labels)
            == 1
        ), outcome


def test_lockouts_are_counted(user, api_client, scrape):
    before = scrape()

    for _ in range(10):  # AUTH_FAILURE_LIMIT: the tenth failure locks this account from this address
        api_client.get(
            "/api/users/me",
            HTTP_AUTHORIZATION=basic_auth_header(user.username, "wrong"),
            REMOTE_ADDR="192.0.2.9",
        )
    locked = api_client.get(
        "/api/users/me",
        HTTP_AUTHORIZATION=basic_auth_header(user.username, PASSWORD),
        REMOTE_ADDR="192.0.2.9",
    )

    assert locked.status_code == 429
    after = scrape()
    assert value(after, "beerlocker_lockouts_total") - value(before, "beerlocker_lockouts_total") == 1


def test_outbound_refusals_are_counted_by_reason(scrape):
    before = scrape()

    with pytest.raises(outbound.RefusedAddress):
        outbound.request("GET", "http://10.0.0.1/jwks.json")

    after = scrape()
    assert (
        value(after, "beerlocker_outbound_refused_total", reason="address")
        - value(before, "beerlocker_outbound_refused_total", reason="address")
        == 1
    )
    assert value(after, "beerlocker_outbound_refused_total", reason="deadline") == value(
        before, "beerlocker_outbound_refused_total", reason="deadline"
    )


def test_a_host_that_does_not_resolve_is_no_refusal(scrape):
    before = scrape()

    with pytest.raises(requests.ConnectionError) as raised:
        outbound.request("GET", "http://does-not-exist.invalid/jwks.json")

    assert not isinstance(raised.value, outbound.RefusedAddress)
    assert value(scrape(), "beerlocker_outbound_refused_total", reason="address") == value(
        before, "beerlocker_outbound_refused_total", reason="address"
    )


def test_logout_deliveries_pending_and_failed_are_read_in_one_query(
    application, django_assert_num_queries, token_only
):
    now = "2030-01-01T00:00:00Z"
    for status in ["pending", "pending", "failed", "delivered"]:
        LogoutDelivery.objects.create(
            client=application, issuer="https://id.example", sub="1", status=status, next_attempt=now
        )

    with django_assert_num_queries(1):
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")

    scraped = samples(response.content.decode())
    assert value(scraped, "beerlocker_logout_deliveries", status="pending") == 2
    assert value(scraped, "beerlocker_logout_deliveries", status="failed") == 1
    assert ("beerlocker_logout_deliveries", frozenset({"status": "delivered"}.items())) not in scraped


# --- The Grafana dashboard --------------------------------------------------------------------------


def family(name: str) -> str:
    """A sample's metric family: ``x_total`` and ``x_bucket`` are ``x``."""
    return re.sub(r"_(total|bucket|count|sum|created)$", "", name)


def test_every_metric_the_grafana_dashboard_queries_is_exposed(client, token_only):
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    queried = {name for expr in exprs for name in re.findall(r"\bbeerlocker_[a-z_]+", expr)}
    exposed = names(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}").content.decode())

    assert len(exprs) >= 10
    # A counter with no series yet (no rate limit hit) is announced by its family name only.
    assert {family(name) for name in queried} <= {family(name) for name in exposed}
    # Sample names as exposed: a counter is queried as x_total, a histogram as x_bucket/_sum/_count.
    assert {name for name in queried if name in exposed or family(name) + "_total" == name} == queried
    # And every Beer Locker metric has a panel.
    assert {family(name) for name in exposed if name.startswith("beerlocker_")} <= {
        family(n) for n in queried
    }
