"""The social sign-in hub in-process: token exchange latency and token encryption cost.

    .venv/bin/python -m scripts.bench.social [--rounds 200]

GitHub's HTTP is mocked with ``responses`` (the provider's own latency is not ours to measure);
everything else is real: DOT's client authentication, the social-auth pipeline, Fernet, the
database (in-memory SQLite) and token issuing. Prints medians and 95th percentiles.
"""

import argparse
import logging
import secrets

from scripts.bench import harness

GITHUB_KEY = "bench-gh-client-id"
GITHUB_TOKEN = "gh-token"  # noqa: S105 - the mocked provider's token


def mock_github(mock):
    """GitHub's token check and profile endpoints, answering for one user."""
    import responses

    mock.post(
        f"https://api.github.com/applications/{GITHUB_KEY}/token",
        json={"id": 1, "token": GITHUB_TOKEN, "user": {"id": 101, "login": "octo"}},
        match=[responses.matchers.json_params_matcher({"access_token": GITHUB_TOKEN})],
    )
    mock.get("https://api.github.com/user", json={"id": 101, "login": "octo", "name": "Octo", "email": None})
    mock.get(
        "https://api.github.com/user/emails",
        json=[{"email": "octo@example.com", "primary": True, "verified": True}],
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="How many timed calls of each kind.")
    args = parser.parse_args(argv)
    # GitHub sign-in configured the way a deployment configures it.
    harness.configure(
        SOCIAL_AUTH_GITHUB_KEY=GITHUB_KEY,
        SOCIAL_AUTH_GITHUB_SECRET=secrets.token_urlsafe(16),
        SOCIAL_AUTH_TOKEN_ENCRYPTION_KEYS=secrets.token_urlsafe(32),
    )
    logging.getLogger("socialaccounts").setLevel(logging.WARNING)  # one audit line per exchange otherwise
    import responses

    from oauthclients.grants import REFRESH_TOKEN, TOKEN_EXCHANGE
    from socialaccounts.models import SocialAccount

    owner, _password = harness.seed_user("bench-owner")
    client, secret = harness.seed_client(
        owner, name="bench app", grant_types=[TOKEN_EXCHANGE, REFRESH_TOKEN], first_party=True
    )
    http = harness.http()
    data = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": GITHUB_TOKEN,
        "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "subject_issuer": "github",
    }
    authorization = harness.basic_auth(client.client_id, secret)

    def exchange():
        response = http.post("/api/oauth2/token", data, HTTP_AUTHORIZATION=authorization)
        harness.expect_ok(response, "token exchange")

    with responses.RequestsMock() as mock:
        mock_github(mock)
        (first,) = harness.timings(exchange, 1)  # signs up the user and links the account
        returning = harness.timings(exchange, args.rounds)

    account = SocialAccount.objects.get()
    reads = harness.timings(lambda: SocialAccount.objects.get(pk=account.pk), args.rounds)
    writes = harness.timings(lambda: account.save(update_fields=["extra_data"]), args.rounds)
    harness.report(
        f"token exchange, new user (1 run)     {first * 1000:7.2f} ms",
        f"token exchange, returning user       {harness.percentiles(returning)}",
        f"linked account read (decrypt)        {harness.percentiles(reads)}",
        f"linked account write (encrypt)       {harness.percentiles(writes)}",
    )


if __name__ == "__main__":
    main()
