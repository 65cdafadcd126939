"""GET /api/beers per second with a bearer token vs HTTP Basic (password hashed on every call).

In-process (Django's test client, in-memory SQLite), one core:

    .venv/bin/python -m scripts.bench.api [--seconds 5] [--page-size 20]
"""

import argparse

from scripts.bench import harness


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="How long to measure each method.")
    parser.add_argument("--page-size", type=int, default=20)
    args = parser.parse_args(argv)
    harness.configure()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from oauthclients.grants import AUTHORIZATION_CODE

    user, password = harness.seed_user("bench-api", beers=100)
    client, _secret = harness.seed_client(user, name="bench", grant_types=[AUTHORIZATION_CODE])
    token = harness.mint_access_token(user, client, "beers:read")
    http = harness.http()

    def measure(authorization):
        """Requests per second and database queries per request with this Authorization."""

        def call():
            response = http.get("/api/beers", {"page_size": args.page_size}, HTTP_AUTHORIZATION=authorization)
            harness.expect_ok(response, "GET /api/beers")

        with CaptureQueriesContext(connection) as queries:
            measured = harness.rate(call, args.seconds)
        return measured.per_second, len(queries) / measured.calls

    bearer, bearer_queries = measure(f"Bearer {token}")
    basic, basic_queries = measure(harness.basic_auth(user.username, password))
    harness.report(
        f"GET /api/beers?page_size={args.page_size} per second (one process, in-memory SQLite):",
        f"  Bearer token: {bearer:8.1f}/s  ({bearer_queries:.0f} queries per request)",
        f"  HTTP Basic:   {basic:8.1f}/s  ({basic_queries:.0f} queries per request; PBKDF2 per call)",
        f"  ratio: {bearer / basic:.0f}x",
    )


if __name__ == "__main__":
    main()
