"""What every benchmark shares: configure Django, seed through the services, time and report.

A benchmark module calls :func:`configure` first (production settings from environment
variables, an in-memory SQLite database, migrated), seeds with the ``seed_*`` helpers, which
call the same services the API and the admin call, and measures with :func:`rate` or
:func:`timings`. Nothing here imports the tests. Requests go through Django's test client in this
process, so the numbers are the application's own cost, without a server or a network.

To measure through a real server instead, configure with a database file that another process
can open (``configure(DATABASE_URL="sqlite:///...")``), seed, and start the server with this
process's ``os.environ``: configuration is environment variables only, so it sees the same
settings and data. A ``serve()`` beside ``http()`` is where that belongs.
"""

import base64
import os
import secrets
import statistics
import sys
import time
import warnings
from typing import NamedTuple

# Production settings, configured the way production is: environment variables only.
BASE_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "beerlocker.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "0",  # the test client speaks http
    "DATABASE_URL": "sqlite://:memory:",
    "EMAIL_URL": "dummymail://",  # production refuses console mail
    "DJANGO_ENV_FILE": os.devnull,  # and a .env `make run` wrote in the checkout
}


def configure(**environment):
    """Set up Django on production settings with a migrated in-memory database. ``environment``
    adds or overrides variables (e.g. ``SOCIAL_AUTH_GITHUB_KEY``), as a deployment would."""
    # Deferred: importing it would import Django before DJANGO_SETTINGS_MODULE is set.
    from oauthclients.keys import generate_rsa_private_key_pem

    os.environ.update(
        {
            **BASE_ENVIRONMENT,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "OIDC_RSA_PRIVATE_KEY": generate_rsa_private_key_pem(),
            **environment,
        }
    )
    import django

    # WhiteNoise warns that collectstatic never ran; requests here never ask for a static file.
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- Seeding, through the services ---------------------------------------------------------------


def seed_user(username, *, beers=0):
    """A user created by ``user_create`` with ``beers`` beers from ``beer_create``; returns
    ``(user, password)``."""
    from accounts.services import user_create
    from lockers.services import beer_create

    password = secrets.token_urlsafe(16)
    user = user_create(username=username, password=password)
    for number in range(beers):
        beer_create(owner=user, name=f"Beer {number}", type="Ale", quantity=number)
    return user, password


def seed_client(owner, *, name, grant_types, scope="", first_party=False, **metadata):
    """A confidential client registered by ``client_create`` (trusted as first-party through
    ``client_set_trust`` when asked); returns ``(client, raw_secret)``."""
    from oauthclients import services

    client, raw_secret = services.client_create(
        owner=owner,
        client_name=name,
        redirect_uris=["https://bench.example.com/callback"],
        grant_types=grant_types,
        scope=scope,
        **metadata,
    )
    if first_party:
        services.client_set_trust(client=client, allow_introspection=False, first_party=True)
    return client, raw_secret


def mint_access_token(user, client, scope):
    """A bearer token for ``user`` issued the way the token endpoint issues one (oauthlib's
    ``BearerToken``, then the configured validator's ``save_bearer_token``); returns it raw."""
    from oauth2_provider.settings import oauth2_settings
    from oauthlib.common import Request
    from oauthlib.oauth2 import BearerToken

    from oauthclients.grants import PASSWORD

    request = Request("https://testserver/api/oauth2/token")
    request.client, request.client_id, request.user = client, client.client_id, user
    # Saved as the password grant saves its token: the code grant's path spends a code.
    request.scopes, request.grant_type = scope.split(), PASSWORD
    validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
    token = BearerToken(validator).create_token(request)
    validator.save_bearer_token(token, request)
    return token["access_token"]


def mint_jwt_access_token(user, client, scope, *, origin, lifetime, jkt=None):
    """A JWT access token (RFC 9068) for ``user`` from a client that registered
    ``access_token_format: "jwt"``, made by the server's own bearer token (``Server``'s token
    generator) as the token endpoint at ``origin`` makes it, living ``lifetime`` seconds (a bench
    outlasts the default 5 minutes), and saved; returns it raw. With ``jkt`` (a key's RFC 7638
    thumbprint) the token is DPoP-bound to that key as a token request with a proof binds it
    (``proved_jkt``: ``cnf.jkt`` in the JWT, the validator saves the binding row)."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.test import override_settings
    from oauth2_provider.settings import oauth2_settings
    from oauthlib.common import Request

    from oauthclients.grants import PASSWORD
    from oauthclients.oauth2.tokens.dpop import proved_jkt

    parts = urlsplit(origin)
    headers = {"HTTP_HOST": parts.netloc, "SERVER_NAME": parts.hostname, "SERVER_PORT": str(parts.port or 80)}
    request = Request(f"{origin}/api/oauth2/token", headers=headers)
    request.client, request.client_id, request.user = client, client.client_id, user
    request.scopes, request.grant_type = scope.split(), PASSWORD
    validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
    server = oauth2_settings.OAUTH2_SERVER_CLASS(validator, **oauth2_settings.server_kwargs)
    reset = proved_jkt.set(jkt)
    try:
        with override_settings(
            OAUTHCLIENTS={**settings.OAUTHCLIENTS, "JWT_ACCESS_TOKEN_EXPIRE_SECONDS": lifetime}
        ):
            # The token endpoint's bearer token (oauthlib's userinfo endpoint replaces ``server.bearer``).
            token = server.default_token_type.create_token(request)
            validator.save_bearer_token(token, request)
    finally:
        proved_jkt.reset(reset)
    return token["access_token"]


class DPoPKey:
    """A client's DPoP key (ES256) making proofs (RFC 9449 §4) with PyJWT, for a load generator."""

    def __init__(self):
        import json

        from cryptography.hazmat.primitives.asymmetric import ec
        from jwcrypto import jwk

        self.private = ec.generate_private_key(ec.SECP256R1())
        public = jwk.JWK.from_pyca(self.private.public_key())
        self.jkt = public.thumbprint()
        self.header = {"typ": "dpop+jwt", "jwk": json.loads(public.export_public())}

    def proof(self, method, url, access_token):
        """A fresh proof (a new jti, iat now) for one ``method`` request to ``url`` with ``access_token``."""
        import time
        import uuid

        import jwt

        from beerlocker_api.dpop import access_token_hash

        claims = {
            "jti": uuid.uuid4().hex,
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
            "ath": access_token_hash(access_token),
        }
        return jwt.encode(claims, self.private, algorithm="ES256", headers=self.header)


# --- Requests and measurements -------------------------------------------------------------------


def basic_auth(username, password):
    """An HTTP Basic ``Authorization`` header value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def http():
    """An HTTP client into this process's Django (no server, no network)."""
    from django.test import Client

    return Client()


def expect_ok(response, what):
    """Stop the benchmark on anything but a 200: a failing request is not a measurement."""
    if response.status_code != 200:
        raise SystemExit(f"{what} failed: {response.status_code} {response.content!r}")
    return response


class Rate(NamedTuple):
    per_second: float
    calls: int


def rate(call, seconds, minimum=3):
    """Calls ``call()`` for ``seconds`` (at least ``minimum`` times); returns the rate and count."""
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds or count < minimum:
        call()
        count += 1
    return Rate(count / (time.perf_counter() - started), count)


def timings(call, rounds):
    """The duration in seconds of each of ``rounds`` calls."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def percentiles(samples):
    """Median and 95th percentile of ``samples`` (seconds), as one line in milliseconds."""
    ms = sorted(sample * 1000 for sample in samples)
    p95 = ms[max(int(len(ms) * 0.95) - 1, 0)]
    return f"median {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms   (n={len(ms)})"


def report(*lines):
    """Print the result lines."""
    sys.stdout.write("\n".join(lines) + "\n")
