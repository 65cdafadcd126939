"""Two production instances behind nginx (scripts/lb/run.py) behave as one server.

They share the PostgreSQL test database and the Redis cache of this test run, and nothing else but
configuration (the secret key and the OIDC signing key). A browser session, a consent, a code, a
token and a rate limit made on one instance hold on the other. Runs in CI's PostgreSQL leg; on
SQLite there is no database two processes could share, so it is skipped there.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from jwcrypto import jwk, jwt

from tests.production.flow import CodeFlow
from tests.production.servers import REPO, database_url, needs_postgres, production_env

# Slow (gunicorn and nginx subprocesses): skipped by make test-fast.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), needs_postgres]

SIGNUP_RATE = 3


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker):
    """scripts/lb/run.py on the test database; yields {"lb": url, "instances": [a, b], "dir": path}."""
    if not os.environ.get("REDIS_URL"):
        pytest.fail("the load-balancer test needs REDIS_URL: instances share rate limits through Redis")
    with django_db_blocker.unblock():
        env = production_env(DATABASE_URL=database_url(), API_SIGNUP_RATE=f"{SIGNUP_RATE}/hour")
    process = subprocess.Popen(  # noqa: S603 - our own script
        [sys.executable, "scripts/lb/run.py", "--no-migrate", "--workers", "1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # one JSON line once nginx and both instances are ready
        assert line, f"scripts/lb/run.py exited with {process.wait(timeout=60)} before it was ready"
        yield json.loads(line)
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 0


def verify_id_token(id_token, jwks_url):
    """The ID token's signature against the keys an instance publishes; returns its claims."""
    keys = jwk.JWKSet.from_json(requests.get(jwks_url, timeout=10).text)
    return json.loads(jwt.JWT(jwt=id_token, key=keys, algs=["RS256"]).claims)


def run_code_flow(flow, lb):
    flow.sign_up()
    flow.register_client()
    assert flow.sign_in().status_code == 302
    code = flow.consent()
    tokens = flow.redeem(code)
    first_access = flow.access_token
    assert flow.api().status_code == 200
    refreshed = flow.refresh()
    assert refreshed["access_token"] != first_access
    assert flow.api().status_code == 200
    flow.revoke(flow.access_token)
    revoked = flow.api()
    assert revoked.status_code == 401
    assert revoked.json()["detail"]
    return tokens


def test_the_code_flow_through_the_load_balancer(cluster):
    lb = cluster["lb"]
    flow = CodeFlow(lb)

    tokens = run_code_flow(flow, lb)

    claims = verify_id_token(tokens["id_token"], f"{lb}/api/oauth2/.well-known/jwks.json")
    assert claims["iss"] == f"{lb}/api/oauth2"
    # nginx spread the journey over both instances (round robin), and logged no query string.
    access_log = (Path(cluster["dir"]) / "nginx-access.log").read_text()
    for instance in cluster["instances"]:
        assert f"upstream={instance.removeprefix('http://')} " in access_log
    assert flow.secrets["code"] not in access_log


def test_the_code_flow_hopping_between_instances(cluster):
    a, b = cluster["instances"]
    flow = CodeFlow(
        {
            "sign_up": a,
            "register_client": b,
            "sign_in": a,  # the session cookie made on A ...
            "consent": b,  # ... signs the browser in on B, which shows the consent and issues the code
            "redeem": a,  # the code is redeemed on A
            "api": b,  # the token works on B, and is refreshed there
            "refresh": b,
            "revoke": a,  # revoked on A: B refuses it at once
        }
    )

    tokens = run_code_flow(flow, cluster["lb"])

    # An ID token signed on A verifies with the keys B publishes, and names the same issuer.
    claims = verify_id_token(tokens["id_token"], f"{b}/api/oauth2/.well-known/jwks.json")
    assert claims["iss"] == f"{cluster['lb']}/api/oauth2"
    assert (
        requests.get(f"{a}/api/oauth2/.well-known/jwks.json", timeout=10).json()
        == requests.get(f"{b}/api/oauth2/.well-known/jwks.json", timeout=10).json()
    )
    # A code redeemed on A cannot be redeemed again on B.
    again = flow.token("api", grant_type="authorization_code", code=flow.secrets["code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_the_sign_up_limit_counts_across_instances(cluster):
    a, b = cluster["instances"]
    targets = [a, b, a, b, cluster["lb"]]
    names = [f"limit-{uuid.uuid4().hex[:8]}" for _ in targets]

    statuses = [
        requests.post(
            f"{url}/api/users",
            json={"username": name, "email": f"{name}@example.com", "password": f"{name} long passphrase"},
            timeout=15,
        ).status_code
        for url, name in zip(targets, names, strict=True)
    ]

    # API_SIGNUP_RATE=3/hour for the instances: the budget is one, counted in the shared Redis.
    assert statuses == [201, 201, 201, 429, 429]
    created = set(get_user_model().objects.filter(username__in=names).values_list("username", flat=True))
    assert created == set(names[:SIGNUP_RATE])


def test_a_dpop_proof_is_used_once_across_instances(cluster):
    """RFC 9449 §11.1: a proof's jti is single use on every instance (the shared Redis), not only on
    the one that saw it first. The proof names the load balancer's URL, as a client's would; it is
    sent straight to each instance with the load balancer's Host, as nginx forwards it."""
    from tests.factories import make_client
    from tests.support.dpop import make_proof, new_key

    a, b = cluster["instances"]
    lb = cluster["lb"]
    lb_host = {"Host": urlsplit(lb).netloc}
    client, secret = make_client(grant_types=["client_credentials"], scope="stats:read")
    key = new_key()

    proof = make_proof(key, htm="POST", htu=f"{lb}/api/oauth2/token")
    token_call = {"data": {"grant_type": "client_credentials"}, "auth": (client.client_id, secret)}
    issued = requests.post(
        f"{a}/api/oauth2/token", headers={**lb_host, "DPoP": proof}, timeout=15, **token_call
    )
    assert issued.status_code == 200, issued.text
    assert issued.json()["token_type"] == "DPoP"
    replayed = requests.post(
        f"{b}/api/oauth2/token", headers={**lb_host, "DPoP": proof}, timeout=15, **token_call
    )
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_dpop_proof"
    assert "used already" in replayed.json()["error_description"]

    token = issued.json()["access_token"]
    proof = make_proof(key, htm="GET", htu=f"{lb}/api/stats", token=token)
    headers = {**lb_host, "Authorization": f"DPoP {token}", "DPoP": proof}
    assert requests.get(f"{b}/api/stats", headers=headers, timeout=15).status_code == 200
    again = requests.get(f"{a}/api/stats", headers=headers, timeout=15)
    assert again.status_code == 401
    assert again.headers["WWW-Authenticate"].startswith("DPoP ")
    assert 'error="invalid_dpop_proof"' in again.headers["WWW-Authenticate"]
    assert "used already" in again.json()["detail"]
