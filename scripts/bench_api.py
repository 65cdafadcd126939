"""GET /api/beers per second with a bearer token vs HTTP Basic (password hashed on every call).

Runs in-process (Django's test client against an in-memory SQLite database), one core:

    .venv/bin/python scripts/bench_api.py [--seconds 5] [--page-size 20]
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_client_credentials import configure  # noqa: E402 - same in-memory production set-up


def make_credentials():
    import secrets
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, set_token_value

    from accounts.services import user_create
    from lockers.services import beer_create
    from oauthclients.grants import AUTHORIZATION_CODE
    from oauthclients.models import Client

    password = secrets.token_urlsafe(16)
    user = user_create(username="bench-api", password=password)
    for number in range(100):
        beer_create(owner=user, name=f"Beer {number}", type="Ale", quantity=number)
    client = Client.objects.create(
        user=user,
        name="bench",
        client_type=Client.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE,
        grant_types=[AUTHORIZATION_CODE],
        redirect_uris="https://bench.example.com/cb",
    )
    token = get_access_token_model()(
        user=user, application=client, scope="beers:read", expires=timezone.now() + timedelta(hours=1)
    )
    raw = secrets.token_urlsafe(32)
    set_token_value(token, raw)
    token.save()
    basic = "Basic " + __import__("base64").b64encode(f"bench-api:{password}".encode()).decode()
    return {"bearer": f"Bearer {raw}", "basic": basic}


def rate(authorization, seconds, page_size):
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    http = HttpClient()
    count, started = 0, time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        while time.perf_counter() - started < seconds or count < 3:
            response = http.get("/api/beers", {"page_size": page_size}, HTTP_AUTHORIZATION=authorization)
            if response.status_code != 200:
                raise SystemExit(f"request failed: {response.status_code} {response.content!r}")
            count += 1
    return count / (time.perf_counter() - started), len(queries) / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="How long to measure each method.")
    parser.add_argument("--page-size", type=int, default=20)
    args = parser.parse_args()
    configure()
    credentials = make_credentials()
    bearer, bearer_queries = rate(credentials["bearer"], args.seconds, args.page_size)
    basic, basic_queries = rate(credentials["basic"], args.seconds, args.page_size)
    sys.stdout.write(
        f"GET /api/beers?page_size={args.page_size} per second (one process, in-memory SQLite):\n"
        f"  Bearer token: {bearer:8.1f}/s  ({bearer_queries:.0f} queries per request)\n"
        f"  HTTP Basic:   {basic:8.1f}/s  ({basic_queries:.0f} queries per request; PBKDF2 per call)\n"
        f"  ratio: {bearer / basic:.0f}x\n"
    )


if __name__ == "__main__":
    main()
