"""Client-credentials token requests per second: DOT's default PBKDF2 vs our client-secret hasher.

In-process (Django's test client, in-memory SQLite), one core:

    .venv/bin/python -m scripts.bench.client_credentials [--seconds 5]
"""

import argparse

from scripts.bench import harness


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="How long to measure each hasher.")
    args = parser.parse_args(argv)
    harness.configure()
    from django.contrib.auth.hashers import make_password
    from oauth2_provider.settings import oauth2_settings

    from oauthclients.grants import CLIENT_CREDENTIALS

    owner, _password = harness.seed_user("bench")
    http = harness.http()

    def measure(hasher):
        """Token requests per second for a client whose secret is stored with ``hasher``."""
        client, secret = harness.seed_client(
            owner, name=f"bench {hasher}", grant_types=[CLIENT_CREDENTIALS], scope="stats:read"
        )
        # The service stores the configured hasher's output; store this hasher's instead (the
        # field keeps a value that is already a hash).
        client.client_secret = make_password(secret, hasher=hasher)
        client.save(update_fields=["client_secret"])
        authorization = harness.basic_auth(client.client_id, secret)

        def call():
            response = http.post(
                "/api/oauth2/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=authorization
            )
            harness.expect_ok(response, "token request")

        return harness.rate(call, args.seconds).per_second

    slow = measure("pbkdf2_sha256")
    fast = measure(oauth2_settings.CLIENT_SECRET_HASHER)
    harness.report(
        "client_credentials token requests per second (one process, in-memory SQLite):",
        f"  PBKDF2-SHA256 (Django/DOT default): {slow:8.1f}/s",
        f"  {oauth2_settings.CLIENT_SECRET_HASHER}:  {fast:8.1f}/s",
        f"  ratio: {fast / slow:.0f}x",
    )


if __name__ == "__main__":
    main()
