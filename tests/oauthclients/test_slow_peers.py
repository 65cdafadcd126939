"""A client's host that answers one byte at a time cannot hold the server (issue 19 §1).

Every peer here is a ``DripServer`` on loopback: it reads the request, then sends its answer one
byte a second, so that no socket read ever times out; requests' per-read ``timeout`` alone would
wait for it forever. The deadline (``OUTBOUND_DEADLINE_SECONDS``) is 2 s in these tests, and each
test measures the wall clock against it."""

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from oauthclients import outbound, services
from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, TokenEndpointAuthMethod
from oauthclients.models import LogoutDelivery
from oauthclients.oauth2.logout import backchannel
from tests.oidc_conformance.rp import RelyingParty, auth_request, authorize, callback, sign_in
from tests.production.servers import REPO, manage, production_env
from tests.support.client_keys import JWT_BEARER, ClientKey
from tests.support.drip_server import DripServer
from tests.support.local_server import LocalServer
from tests.support.oauth import TOKEN

DEADLINE = 2.0
# What the wall clock may show beyond the deadline: scheduling, the watchdog's wake-up, a save.
MARGIN = 1.0
# How long the process may take to exit after its loop stopped, on a loaded machine.
PROCESS_EXIT_BOUND = 15
KEY = ClientKey()


@pytest.fixture
def short_deadline(settings):
    """A 2 s deadline, loopback allowed as a client host (DEBUG: http on loopback, as `make run`)."""
    settings.DEBUG = True
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "OUTBOUND_DEADLINE_SECONDS": DEADLINE}
    return settings


def timed(call, *args, **kwargs):
    """(seconds taken, result or the exception raised)."""
    started = time.monotonic()
    try:
        result = call(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the test looks at which
        result = error
    return time.monotonic() - started, result


# --- The helper every outbound call goes through -------------------------------------------------


@pytest.mark.parametrize("stage", ["headers", "body", "tls"])
def test_a_drip_feeding_host_is_cut_off_at_the_deadline(short_deadline, stage):
    with DripServer(stage=stage) as server:
        scheme = "https" if stage == "tls" else "http"
        elapsed, outcome = timed(outbound.request, "GET", server.url("/jwks", scheme=scheme))

    assert isinstance(outcome, outbound.DeadlineExceeded), outcome
    assert isinstance(outcome, requests.Timeout)  # what callers already catch
    assert DEADLINE - 0.1 <= elapsed <= DEADLINE + MARGIN, elapsed
    assert server.connections == 1


def test_a_host_that_answers_in_time_is_read_in_full(short_deadline):
    with LocalServer(body=b'{"keys": []}') as server:
        elapsed, answer = timed(outbound.request, "GET", server.url("/jwks"))
    assert (answer.status_code, answer.content) == (200, b'{"keys": []}')
    assert elapsed < DEADLINE


# --- request_uri: the authorization endpoint -----------------------------------------------------


@pytest.mark.django_db
def test_a_drip_feeding_request_uri_is_cut_at_the_deadline_and_not_fetched_again(short_deadline, user):
    with DripServer() as server:
        request_uri = server.url("/request-object")
        client, secret = services.client_create(
            owner=user,
            client_name="RO",
            redirect_uris=["https://rp.example.com/cb"],
            grant_types=[AUTHORIZATION_CODE],
            scope="openid",
            request_uris=[request_uri],
        )
        rp = RelyingParty(client.client_id, secret, redirect_uri="https://rp.example.com/cb")
        browser = sign_in(user)

        results = []
        for _ in range(2):
            request = auth_request(rp, request_uri=request_uri)
            elapsed, response = timed(authorize, browser, rp, request)
            results.append((elapsed, callback(response, rp)[1], request["state"]))

    (first, first_params, first_state), (second, second_params, second_state) = results
    assert first <= DEADLINE + MARGIN, first
    assert first_params["error"] == "invalid_request_uri"
    assert first_params["state"] == first_state
    assert "code" not in first_params
    # Remembered as failed: the second request is answered at once, without a connection.
    assert second < 0.5, second
    assert (second_params["error"], second_params["state"]) == ("invalid_request_uri", second_state)
    assert server.connections == 1


# --- jwks_uri: the token endpoint, with the site still answering --------------------------------

SLOTS = 2
WAITING = 4  # more token requests than slots


def token_request(base_url, client_id):
    return requests.post(
        base_url + TOKEN,
        data={
            "grant_type": CLIENT_CREDENTIALS,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": KEY.assertion(client_id, audience=base_url + TOKEN),
        },
        timeout=30,
    )


@pytest.mark.django_db(transaction=True)
def test_a_drip_feeding_jwks_uri_holds_at_most_the_slots_and_the_site_keeps_answering(
    short_deadline, live_server, user
):
    short_deadline.OAUTHCLIENTS = {**short_deadline.OAUTHCLIENTS, "OUTBOUND_REQUEST_SLOTS": SLOTS}
    with DripServer() as server:
        clients = [
            services.client_create(
                owner=user,
                client_name=f"Keyed {number}",
                redirect_uris=[],
                grant_types=[CLIENT_CREDENTIALS],
                token_endpoint_auth_method=TokenEndpointAuthMethod.PRIVATE_KEY_JWT,
                scope="stats:read",
                jwks_uri=server.url(f"/jwks/{number}"),
            )[0]
            for number in range(WAITING)
        ]
        with ThreadPoolExecutor(max_workers=WAITING) as pool:
            started = time.monotonic()
            waiting = [
                pool.submit(timed, token_request, live_server.url, client.client_id) for client in clients
            ]
            time.sleep(0.5)  # every token request is in, the slots are taken
            health_time, health = timed(requests.get, live_server.url + "/healthz", timeout=30)
            outcomes = [future.result() for future in waiting]
        total = time.monotonic() - started

    assert health.status_code == 200
    assert health_time < 0.5, health_time
    times = sorted(elapsed for elapsed, _response in outcomes)
    for _elapsed, response in outcomes:
        assert response.status_code == 401, response.content
        assert response.json()["error"] == "invalid_client"
    # Two waited for their hosts, cut off at the deadline; the others were turned away at once.
    assert times[: WAITING - SLOTS] < [0.5] * (WAITING - SLOTS), times
    assert all(DEADLINE - 0.1 <= elapsed <= DEADLINE + MARGIN for elapsed in times[WAITING - SLOTS :]), times
    assert total <= DEADLINE + MARGIN, total
    assert server.connections == SLOTS
    assert not get_access_token_model().objects.exists()


# --- backchannel_logout_uri: the logout worker --------------------------------------------------


def logout_client(user, uri, name):
    client, _secret = services.client_create(
        owner=user,
        client_name=name,
        redirect_uris=["https://rp.example.com/cb"],
        grant_types=[AUTHORIZATION_CODE],
        scope="openid",
        backchannel_logout_uri=uri,
    )
    return client


def queue_logout(client, user, sid="session-1"):
    return LogoutDelivery.objects.create(
        client=client,
        issuer="http://testserver/api/oauth2",
        sub=str(user.pk),
        sid=sid,
        next_attempt=timezone.now(),
    )


@pytest.mark.django_db
def test_a_drip_feeding_logout_endpoint_does_not_delay_another_clients_logout(short_deadline, user):
    with DripServer(stage="headers") as slow, LocalServer(status=200) as honest:
        slow_client = logout_client(user, slow.url("/logout"), "Slow")
        honest_client = logout_client(user, honest.url("/logout"), "Honest")
        # The slow client's logouts come first in the outbox, several of them.
        slow_deliveries = [queue_logout(slow_client, user, sid=f"s-{number}") for number in range(3)]
        honest_delivery = queue_logout(honest_client, user)

        started = timezone.now()
        elapsed, attempted = timed(backchannel.deliver_due)

    honest_delivery.refresh_from_db()
    assert honest_delivery.status == LogoutDelivery.Status.DELIVERED
    assert (honest_delivery.delivered - started).total_seconds() < 0.5
    assert len(honest.requests) == 1
    # One attempt at the slow client (one POST per client at a time), cut at the deadline, and the
    # worker returns within the bound.
    assert elapsed <= DEADLINE + MARGIN, elapsed
    assert slow.connections == 1
    first, *others = (LogoutDelivery.objects.get(pk=delivery.pk) for delivery in slow_deliveries)
    assert (first.status, first.attempts, first.last_outcome) == (LogoutDelivery.Status.PENDING, 1, "timeout")
    assert first.next_attempt > timezone.now()
    assert attempted == 2
    # The host is slow: the client's other logouts wait for the same retry, not a deadline each now.
    assert [(delivery.attempts, delivery.status) for delivery in others] == [(0, "pending")] * 2
    assert {delivery.next_attempt for delivery in others} == {first.next_attempt}


@pytest.mark.django_db
def test_a_claimed_delivery_is_not_claimed_again_while_its_attempt_may_run(short_deadline, user):
    client = logout_client(user, "http://127.0.0.1:9/logout", "RP")
    delivery = queue_logout(client, user)

    claimed = backchannel._claim(delivery.pk)

    assert claimed is not None
    assert backchannel.lease_seconds() > DEADLINE + MARGIN
    assert (claimed.next_attempt - timezone.now()).total_seconds() > DEADLINE + MARGIN
    assert backchannel._claim(delivery.pk) is None  # not due: the lease runs
    assert backchannel.deliver_due() == 0


@pytest.mark.slow  # manage.py logoutworker in a subprocess
def test_the_worker_stops_on_sigterm_within_the_deadline(tmp_path):
    """A real ``manage.py logoutworker`` on a SQLite file, POSTing to a drip-feeding host."""
    database = tmp_path / "db.sqlite3"
    env = production_env(
        DATABASE_URL=f"sqlite:///{database}",
        OUTBOUND_DEADLINE_SECONDS=str(DEADLINE),
        OUTBOUND_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    with DripServer() as server:
        manage(env, "shell", "--command", SETUP.format(uri=server.url("/logout")))
        worker = subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
            [sys.executable, "manage.py", "logoutworker", "--interval", "0.2"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[tuple[float, str]] = []  # (when read, line) of the worker's stdout
        reader = threading.Thread(
            target=lambda: lines.extend((time.monotonic(), line) for line in worker.stdout), daemon=True
        )
        reader.start()
        try:
            waited = time.monotonic() + 20
            while server.connections == 0 and time.monotonic() < waited and worker.poll() is None:
                time.sleep(0.05)
            assert server.connections == 1, worker.poll()
            time.sleep(0.3)  # the POST is under way, the answer dripping
            worker.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            worker.wait(timeout=DEADLINE + PROCESS_EXIT_BOUND)
            reader.join(timeout=5)
        finally:
            if worker.poll() is None:
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait()

    assert worker.returncode == 0, worker.stderr.read()
    # The worker's own account of stopping, timed as it is printed: the POST under way ends at its
    # deadline, its outcome is saved, and the loop is left. (The interpreter's exit after that takes
    # what a loaded machine gives it; the wait above bounds it.)
    stopped = [when - signalled for when, line in lines if line.startswith("Stopped: 1 logout deliveries")]
    assert stopped, lines
    assert stopped[0] <= DEADLINE + MARGIN * 2, stopped
    outcome = manage(env, "shell", "--command", OUTCOME).strip().splitlines()[-1]
    assert outcome == "pending 1 timeout"  # recorded before leaving, retried later


SETUP = """
from django.contrib.auth import get_user_model
from django.utils import timezone
from oauthclients import services
from oauthclients.models import LogoutDelivery
user = get_user_model().objects.create_user("worker-test", password="x" * 20)
client, _ = services.client_create(owner=user, client_name="Slow", redirect_uris=["https://rp.example.com/cb"],
    grant_types=["authorization_code"], scope="openid", backchannel_logout_uri="{uri}")
LogoutDelivery.objects.create(client=client, issuer="http://testserver/api/oauth2", sub=str(user.pk),
    sid="s-1", next_attempt=timezone.now())
"""
OUTCOME = """
from oauthclients.models import LogoutDelivery
d = LogoutDelivery.objects.get()
print(d.status, d.attempts, d.last_outcome)
"""


def test_the_signal_handler_stop_is_one_event_the_loop_waits_on():
    """The idle worker wakes for a stop at once instead of finishing a sleep."""
    stop = threading.Event()
    deliverer = backchannel.Deliverer(threads=1)
    stop.set()
    elapsed, attempted = timed(deliverer.run, stop=stop, interval=60)
    assert attempted == 0
    assert elapsed < 0.5
