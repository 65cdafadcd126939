"""Benchmark the social sign-in hub in-process: token exchange latency and token encryption cost.

    .venv/bin/python scripts/bench_social.py [rounds]

GitHub's HTTP is mocked with ``responses`` (the provider's own latency is not ours to measure);
everything else is real: DOT's client authentication, the social-auth pipeline, Fernet, the
database (in-memory SQLite) and token issuing. Prints medians and 95th percentiles.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import logging  # noqa: E402

import django  # noqa: E402

django.setup()
logging.getLogger("socialaccounts").setLevel(logging.WARNING)  # one audit line per exchange otherwise

import responses  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402


def percentiles(samples):
    ms = sorted(sample * 1000 for sample in samples)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"median {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms   (n={len(ms)})"


def main(rounds):
    setup_test_environment()
    call_command("migrate", verbosity=0)
    from oauthclients.grants import REFRESH_TOKEN, TOKEN_EXCHANGE
    from oauthclients.models import Client
    from socialaccounts.models import SocialAccount
    from tests.factories import ClientFactory
    from tests.socialaccounts.conftest import (
        ALL_BACKENDS,
        CLIENT_SECRET,
        EXCHANGE,
        GITHUB_KEY,
        GITHUB_SECRET,
        basic_auth,
        github,
    )

    overrides = {
        "AUTHENTICATION_BACKENDS": ALL_BACKENDS,
        "SOCIAL_AUTH_GITHUB_KEY": GITHUB_KEY,
        "SOCIAL_AUTH_GITHUB_SECRET": GITHUB_SECRET,
        "SOCIALACCOUNTS": {**settings.SOCIALACCOUNTS, "TOKEN_ENCRYPTION_KEYS": ["bench-" + "b" * 40]},
    }
    with override_settings(**overrides), responses.RequestsMock() as mock:
        client = ClientFactory(
            client_secret=CLIENT_SECRET,
            grant_types=[TOKEN_EXCHANGE, REFRESH_TOKEN],
            authorization_grant_type=Client.GRANT_CLIENT_CREDENTIALS,
        )
        github(mock)
        http = HttpClient()
        data = {
            "grant_type": EXCHANGE,
            "subject_token": "gh-token",
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "subject_issuer": "github",
        }

        def exchange():
            started = time.perf_counter()
            response = http.post("/api/oauth2/token", data, HTTP_AUTHORIZATION=basic_auth(client))
            if response.status_code != 200:
                raise SystemExit(f"token exchange failed: {response.status_code} {response.content!r}")
            return time.perf_counter() - started

        first = exchange()  # signs up the user and links the account
        samples = [exchange() for _ in range(rounds)]
        print(f"token exchange, new user (1 run)     {first * 1000:7.2f} ms")
        print(f"token exchange, returning user       {percentiles(samples)}")

        account = SocialAccount.objects.get()
        reads, writes = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            SocialAccount.objects.get(pk=account.pk)
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            account.save(update_fields=["extra_data"])
            writes.append(time.perf_counter() - started)
        print(f"linked account read (decrypt)        {percentiles(reads)}")
        print(f"linked account write (encrypt)       {percentiles(writes)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
