"""/metrics from gunicorn with two workers: the counts add up across the processes (prometheus-client's
multiprocess mode, set up by gunicorn.conf.py), whichever worker answers the scrape."""

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.production.servers import Gunicorn, database_url, is_postgres, manage, production_env
from tests.support.metrics import METRICS_TOKEN, samples, value

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REQUESTS = 60
ROUTE = {"route": "lockers:beer-detail", "method": "GET", "status": "401"}


def per_process(directory, tmp_path) -> dict[str, float]:
    """The route's count in each worker's own file, read alone (prometheus-client's public collector)."""
    counts = {}
    for path in sorted(directory.glob("counter_*.db")):
        alone = tmp_path / f"alone-{path.stem}"
        alone.mkdir()
        shutil.copy(path, alone)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        counts[path.stem] = value(
            samples(generate_latest(registry).decode()), "beerlocker_http_requests_total", **ROUTE
        )
    return counts


def test_counts_add_up_across_two_gunicorn_workers(tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"left over from the last run")  # emptied at start
    database = database_url() if is_postgres() else f"sqlite:///{tmp_path / 'served.sqlite3'}"
    env = production_env(
        DATABASE_URL=database,
        WEB_CONCURRENCY="2",
        METRICS_TOKEN=METRICS_TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(directory),
    )
    if not is_postgres():
        manage(env, "migrate", "--noinput")
    server = Gunicorn(env, tmp_path / "gunicorn.log").start()
    try:
        # Several at once, each on its own connection, so both workers take some.
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(
                pool.map(
                    lambda n: requests.get(f"{server.url}/api/beers/{n}", timeout=30).status_code,
                    range(REQUESTS),
                )
            )
        assert statuses == [401] * REQUESTS

        refused = requests.get(f"{server.url}/metrics", timeout=30)
        assert refused.status_code == 401 and "beerlocker_" not in refused.text

        scrapes = [
            requests.get(
                f"{server.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
            )
            for _ in range(4)
        ]
    finally:
        server.stop()

    assert "left over" not in server.log() and not (directory / "counter_1.db").exists()
    for scrape in scrapes:  # whichever worker answered, the same sum
        assert scrape.status_code == 200
        assert value(samples(scrape.text), "beerlocker_http_requests_total", **ROUTE) == REQUESTS
        assert (
            value(
                samples(scrape.text),
                "beerlocker_http_request_duration_seconds_count",
                **{k: ROUTE[k] for k in ("route", "method")},
            )
            == REQUESTS
        )
    counts = per_process(directory, tmp_path)
    assert len([count for count in counts.values() if count > 0]) == 2, counts
    assert sum(counts.values()) == REQUESTS
