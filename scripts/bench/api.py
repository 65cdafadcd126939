"""GET /api/beers per second with a bearer token vs HTTP Basic (password hashed on every call), and
with a DPoP-bound token (RFC 9449: a fresh proof verified per request).

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
    dpop, dpop_queries, proofs = measure_dpop(http, user, client, args)
    harness.report(
        f"GET /api/beers?page_size={args.page_size} per second (one process, in-memory SQLite):",
        f"  Bearer token: {bearer:8.1f}/s  ({bearer_queries:.0f} queries per request)",
        f"  DPoP token:   {dpop:8.1f}/s  ({dpop_queries:.0f} queries per request; the client's ES256 proof"
        f" made in the loop too: {proofs:.0f} proofs/s alone)",
        f"  HTTP Basic:   {basic:8.1f}/s  ({basic_queries:.0f} queries per request; PBKDF2 per call)",
        f"  ratio: {bearer / basic:.0f}x",
    )


def measure_dpop(http, user, client, args):
    """A token bound to an ES256 key: requests per second (each with a fresh proof, made in the
    loop), queries per request, and proofs made per second alone (to tell the client's share)."""
    import hashlib
    import json
    import time
    import uuid

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from jwcrypto import jwk, jws
    from oauth2_provider.models import get_access_token_model

    from beerlocker_api.dpop import access_token_hash
    from oauthclients.models import AccessTokenBinding

    key = jwk.JWK.generate(kty="EC", crv="P-256")
    token = harness.mint_access_token(user, client, "beers:read")
    checksum = hashlib.sha256(token.encode()).hexdigest()
    bound = get_access_token_model().objects.get(token_checksum=checksum)
    AccessTokenBinding.objects.create(access_token=bound, jkt=key.thumbprint())
    header = json.dumps({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.export_public(as_dict=True)})
    ath = access_token_hash(token)

    def proof():
        claims = {
            "jti": uuid.uuid4().hex,
            "htm": "GET",
            "htu": "http://testserver/api/beers",
            "iat": int(time.time()),
        }
        signed = jws.JWS(json.dumps({**claims, "ath": ath}))
        signed.add_signature(key, alg="ES256", protected=header)
        return signed.serialize(compact=True)

    def call():
        response = http.get(
            "/api/beers", {"page_size": args.page_size}, HTTP_AUTHORIZATION=f"DPoP {token}", HTTP_DPOP=proof()
        )
        harness.expect_ok(response, "GET /api/beers with DPoP")

    with CaptureQueriesContext(connection) as queries:
        measured = harness.rate(call, args.seconds)
    proofs = harness.rate(proof, min(args.seconds, 2.0))
    return measured.per_second, len(queries) / measured.calls, proofs.per_second


if __name__ == "__main__":
    main()
