"""Client-credentials token requests per second: DOT's default PBKDF2 vs our client-secret hasher.

Runs in-process (Django's test client against an in-memory SQLite database), one core:

    .venv/bin/python scripts/bench_client_credentials.py [--seconds 5]
"""

import argparse
import base64
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def configure():
    from oauthclients.keys import generate_rsa_private_key_pem

    os.environ.update(
        DJANGO_SETTINGS_MODULE="beerlocker.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL="sqlite://:memory:",
        OIDC_RSA_PRIVATE_KEY=generate_rsa_private_key_pem(),
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_client(hasher):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from oauth2_provider.generators import generate_client_secret

    from oauthclients.grants import CLIENT_CREDENTIALS
    from oauthclients.models import Client

    owner, _ = get_user_model().objects.get_or_create(username="bench")
    raw = generate_client_secret()
    client = Client.objects.create(
        user=owner,
        name=f"bench {hasher}",
        client_type=Client.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Client.GRANT_CLIENT_CREDENTIALS,
        grant_types=[CLIENT_CREDENTIALS],
        scope="stats:read",
        # Stored already hashed, so the field keeps this hasher's output.
        client_secret=make_password(raw, hasher=hasher),
    )
    return client.client_id, raw


def rate(client_id, secret, seconds):
    from django.test import Client as HttpClient

    http = HttpClient()
    auth = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds or count < 3:
        response = http.post(
            "/api/oauth2/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=auth
        )
        if response.status_code != 200:
            raise SystemExit(f"token request failed: {response.status_code} {response.content!r}")
        count += 1
    return count / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="How long to measure each hasher.")
    args = parser.parse_args()
    configure()
    from oauth2_provider.settings import oauth2_settings

    slow = rate(*make_client("pbkdf2_sha256"), args.seconds)
    fast = rate(*make_client(oauth2_settings.CLIENT_SECRET_HASHER), args.seconds)
    sys.stdout.write(
        f"client_credentials token requests per second (one process, in-memory SQLite):\n"
        f"  PBKDF2-SHA256 (Django/DOT default): {slow:8.1f}/s\n"
        f"  {oauth2_settings.CLIENT_SECRET_HASHER}:  {fast:8.1f}/s\n"
        f"  ratio: {fast / slow:.0f}x\n"
    )


if __name__ == "__main__":
    main()
