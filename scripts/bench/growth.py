"""The growth case (issue 10, item 6), run by ``scripts.bench.served --growth [--scale S]``.

At scale 1.0: 100,000 users, 1,000,000 beers of which one locker holds 100,000, and 1,000,000
access tokens (half expired). Rows are validated the way the services validate them (a sample of
each kind goes through ``full_clean`` / ``beer_create``), then loaded with PostgreSQL's COPY:
millions of rows through the ORM one by one would take hours, through COPY a few minutes.

It then times, in this process on the seeded database (Django's test client, as the issue's
in-process figures), the first page of the big locker against the first page of the 100-beer
locker (target: at most 2x), a deep page, ``GET /api/stats`` (first call and cached), and
``cleartokens`` pruning the expired half in batches.
"""

import hashlib
import io
import secrets
import statistics
import time
from datetime import timedelta

from scripts.bench import harness


def _copy(cursor, table, columns, rows):
    """COPY ``rows`` (tuples) into ``table`` in chunks; values must not contain tabs or newlines."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    chunk = []
    for row in rows:
        chunk.append("\t".join("\\N" if value is None else str(value) for value in row))
        if len(chunk) >= 50_000:
            _flush(cursor, statement, chunk)
            chunk = []
    if chunk:
        _flush(cursor, statement, chunk)


def _flush(cursor, statement, lines):
    with cursor.copy(statement) as copy:
        copy.write(("\n".join(lines) + "\n").encode())


def seed(seeded, *, scale):
    """Bulk-load the growth data; returns the big locker's owner and a bearer token for them."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from lockers.models import Beer
    from lockers.services import beer_create

    users = int(100_000 * scale)
    beers = int(1_000_000 * scale)
    big = int(100_000 * scale)
    tokens = int(1_000_000 * scale)
    User = get_user_model()
    now = timezone.now()
    started = time.perf_counter()

    # The big locker's owner and a sample of beers through the services (their validation).
    owner, _password = harness.seed_user("growth-big", beers=10)
    sample = User(username="growth-sample", password=make_password(None))
    sample.full_clean()
    unusable = make_password(None)
    Beer(owner=owner, name="Beer 0", type="Ale", quantity=1).full_clean()
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        _copy(
            raw,
            "auth_user",
            [
                "password",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
            ],
            ((unusable, False, f"growth{n}", "", "", "", False, True, now.isoformat()) for n in range(users)),
        )
        cursor.execute(
            "SELECT min(id), max(id) FROM auth_user WHERE username LIKE 'growth%%' AND id <> %s", [owner.pk]
        )
        first_id, last_id = cursor.fetchone()
        span = last_id - first_id + 1
        beer_created = now - timedelta(days=1)

        def beer_rows():
            for n in range(big - 10):
                created = (beer_created + timedelta(seconds=n)).isoformat()
                yield (owner.pk, f"Beer {n}", "Ale", n % 50, created, created)
            for n in range(beers - big):
                created = (beer_created + timedelta(seconds=n)).isoformat()
                yield (first_id + n % span, f"Beer {n}", "Stout", n % 50, created, created)

        _copy(
            raw, "lockers_beer", ["owner_id", "name", "type", "quantity", "created", "updated"], beer_rows()
        )

        def token_rows():
            for n in range(tokens):
                expires = (now + timedelta(hours=1 if n % 2 else -1)).isoformat()
                checksum = hashlib.sha256(f"growth-{n}-{secrets.token_hex(4)}".encode()).hexdigest()
                yield (
                    "",
                    checksum,
                    expires,
                    "beers:read",
                    seeded.app.pk,
                    first_id + n % span,
                    now.isoformat(),
                    now.isoformat(),
                    "[]",
                )

        _copy(
            raw,
            "oauth2_provider_accesstoken",
            [
                "token",
                "token_checksum",
                "expires",
                "scope",
                "application_id",
                "user_id",
                "created",
                "updated",
                "resource",
            ],
            token_rows(),
        )
        for table in ("auth_user", "lockers_beer", "oauth2_provider_accesstoken"):
            cursor.execute(f"ANALYZE {table}")
    beer_create(owner=owner, name="Newest", type="Ale", quantity=1)  # and one more through the service
    token = harness.mint_access_token(owner, seeded.app, "beers:read")
    harness.report(
        f"growth: {users:,} users, {beers:,} beers (one locker of {big:,}), {tokens:,} tokens "
        f"loaded in {time.perf_counter() - started:.0f}s"
    )
    return owner, token


def _time(http, path, token, rounds):
    def call():
        return harness.expect_ok(http.get(path, HTTP_AUTHORIZATION=f"Bearer {token}"), path)

    call()
    return harness.timings(call, rounds)


def run(seeded, *, scale, rounds=200):
    from django.core.cache import cache
    from django.core.management import call_command
    from oauth2_provider.models import AccessToken

    _owner, big_token = seed(seeded, scale=scale)
    http = harness.http()
    small, big = [], []
    for _ in range(5):  # alternate, so load on a shared machine falls on both alike
        small += _time(http, "/api/beers", seeded.token, rounds // 5)
        big += _time(http, "/api/beers", big_token, rounds // 5)
    ratio = statistics.median(big) / statistics.median(small)
    deep = _time(http, f"/api/beers?page={int(100_000 * scale) // 20 // 2}", big_token, rounds // 5)
    report = [
        "Growth case, in-process (test client) on the seeded PostgreSQL:",
        f"  GET /api/beers, 100-beer locker, first page:  {harness.percentiles(small)}",
        f"  GET /api/beers, big locker, first page:       {harness.percentiles(big)}",
        f"  ratio big/small (median): {ratio:.2f}x (target <= 2x)",
        f"  GET /api/beers, big locker, middle page:      {harness.percentiles(deep)}",
    ]
    stats_client, stats_secret = seeded.machine, seeded.machine_secret
    token = http.post(
        "/api/oauth2/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=harness.basic_auth(stats_client.client_id, stats_secret),
    ).json()["access_token"]
    cache.delete("lockers:stats")
    started = time.perf_counter()
    harness.expect_ok(http.get("/api/stats", HTTP_AUTHORIZATION=f"Bearer {token}"), "stats")
    first = time.perf_counter() - started
    cached = _time(http, "/api/stats", token, 50)
    report += [
        f"  GET /api/stats, computed: {first * 1000:.1f} ms; cached: {harness.percentiles(cached)}",
    ]
    before = AccessToken.objects.count()
    started = time.perf_counter()
    call_command("cleartokens", stdout=io.StringIO())
    elapsed = time.perf_counter() - started
    report.append(
        f"  cleartokens: {before - AccessToken.objects.count():,} expired tokens deleted in {elapsed:.0f}s "
        "(batches of OAUTH2_CLEAR_EXPIRED_TOKENS_BATCH_SIZE, each one short DELETE)"
    )
    harness.report(*report)
