"""Where a hot path's time goes: each part of the three hot paths timed alone, in this process, on
a seeded PostgreSQL database and Redis (production settings), next to the whole request and its
baseline. Unprofiled; best of 5 rounds of 60 calls each.

    .venv/bin/python -m scripts.bench.parts [--database-url URL] [--redis-url URL]

The database (default ``bl_bench_parts`` on the local PostgreSQL) is dropped and re-created. The
line "token check stubbed out" is the bearer list with the token's query replaced by the token it
would return: the difference to the full request is what that one query costs in a request.
"""

import argparse
import os
import time
import urllib.parse

from scripts.bench import harness, served

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bl_bench_parts"


def best_of(call, rounds=5, calls=60):
    for _ in range(30):
        call()
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - started) / calls * 1000)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", served.DEFAULT_REDIS_URL))
    args = parser.parse_args(argv)

    served.recreate_database(args.database_url)
    harness.configure(DATABASE_URL=args.database_url, REDIS_URL=args.redis_url)
    import logging

    logging.disable(logging.INFO)  # one line per request would be timed too
    from django.contrib.auth.hashers import check_password
    from django.core.cache import cache
    from django.test import RequestFactory, override_settings
    from oauthlib.common import Request as OauthlibRequest

    import beerlocker_api.authentication
    from beerlocker_api import limits
    from lockers import caching
    from lockers.models import Beer
    from lockers.serializers import BeerSerializer
    from oauthclients.oauth2.clientauth.authenticate import load_client
    from oauthclients.oauth2.endpoints.introspection import introspection
    from scripts.bench import baselines

    cache.clear()
    seeded = served.Seeded()
    baselines.OWNER_ID = seeded.user.pk
    http = harness.http()
    paths = seeded.hot_paths()

    def hot(name):
        method, path, headers, body, _baseline = paths[name]
        meta = {"HTTP_AUTHORIZATION": headers["Authorization"]}
        if method == "GET":
            return lambda: harness.expect_ok(http.get(path, **meta), name)
        data = dict(urllib.parse.parse_qsl(body))
        return lambda: harness.expect_ok(http.post(path, data, **meta), name)

    def baseline(path):
        def call():
            with override_settings(ROOT_URLCONF="scripts.bench.baselines"):
                harness.expect_ok(http.get(path), path)

        return call

    request = RequestFactory().post("/api/oauth2/token", REMOTE_ADDR="127.0.0.1")
    user = seeded.user
    page = list(Beer.objects.owned_by(user)[:20])
    oauth_request = OauthlibRequest("https://testserver/api/oauth2/token")
    oauth_request.client = None
    token = beerlocker_api.authentication.usable_access_token(request, seeded.token)
    real_check = beerlocker_api.authentication.usable_access_token

    def stubbed_list():
        beerlocker_api.authentication.usable_access_token = lambda request, raw: token
        try:
            hot("beers")()
        finally:
            beerlocker_api.authentication.usable_access_token = real_check

    parts = {
        "GET /api/beers with a bearer token": hot("beers"),
        "  the same, token check stubbed out": stubbed_list,
        "  plain DRF baseline": baseline("/bench/beers"),
        "  token check (one query)": lambda: real_check(request, seeded.token),
        "  page count from the cache": lambda: caching.beer_count(user.pk, lambda: 0),
        "  page count in SQL (the baseline's)": lambda: Beer.objects.filter(owner=user).count(),
        "  page of 20 (query and instances)": lambda: list(Beer.objects.owned_by(user)[:20]),
        "  BeerSerializer, 20 beers": lambda: BeerSerializer(page, many=True).data,
        "POST /api/oauth2/token client credentials": hot("token"),
        "POST /api/oauth2/introspect": hot("introspect"),
        "  bare baseline": baseline("/bench/bare"),
        "  guessing-limit check (axes)": lambda: limits.client_wait(request, seeded.machine.client_id),
        "  client row (load_client)": lambda: load_client(seeded.machine.client_id, oauth_request),
        "  client secret check": lambda: check_password(seeded.machine_secret, seeded.machine.client_secret),
        "  introspection's token lookup": lambda: introspection(seeded.token),
    }
    lines = [f"{best_of(call):7.2f} ms  {name}" for name, call in parts.items()]
    harness.report("In-process cost per request (best of 5 rounds of 60):", *lines)


if __name__ == "__main__":
    main()
