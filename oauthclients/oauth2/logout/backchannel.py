"""OpenID Connect Back-Channel Logout 1.0, the provider's side.

- A browser session is named by its public id, the ID token's ``sid`` (``session_id``): what the
  project's adapter's ``session_id(request)`` says (``oauthclients.adapter``; by default an HMAC
  of the session key, never the key itself).
- Every client that gets a code or tokens at the authorization endpoint in a session is recorded
  with it (``session_client_record``, a ``SessionClient`` row).
- When the session ends (``session_ended``, connected to the adapter's ``session_ended_signal()``
  and sent with one shape, ``session=`` an ``EndedSession``), each of those clients that registered
  a ``backchannel_logout_uri`` gets a ``LogoutDelivery`` row, in the same transaction as the end of
  the session: the outbox.
- ``manage.py logoutworker`` delivers the outbox outside any user's request (``Deliverer``): it
  signs a logout token (§2.4) per attempt and POSTs it (§2.5) through ``oauthclients.outbound``
  (public addresses only, a hard deadline), retrying with backoff. Up to
  ``LOGOUT_DELIVERY_THREADS`` POSTs run at once, at most one per client (across worker processes
  too: a lock in the shared cache), so a slow client holds one thread for one deadline and never
  delays another client's logout. A claimed delivery is not due again before its lease, which
  outlasts the deadline. ``manage.py prunelogoutdeliveries`` deletes old finished rows.
- Every delivery carries the session's ``sid``; one without it is never sent to a client that
  registered ``backchannel_logout_session_required`` (§2.2).
"""

import json
import logging
import math
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta

import requests
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from jwcrypto import jwt

from oauthclients import conf, outbound
from oauthclients.adapter import EndedSession, get_adapter
from oauthclients.grants import JWS_ALGS
from oauthclients.keys import sign_jwt
from oauthclients.models import Client, LogoutDelivery, SessionClient
from oauthclients.oauth2 import profiles

logger = logging.getLogger(__name__)

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"  # noqa: S105 - a media type, not a secret
# A logout token is for immediate use (§2.4 recommends a short lifetime).
LOGOUT_TOKEN_LIFETIME_SECONDS = 120
# Attempt n+1 waits BACKOFF_BASE_SECONDS * 2**n (capped); after MAX_ATTEMPTS the delivery fails.
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
MAX_ATTEMPTS = 8
# A claim's lease outlasts the POST's deadline by this much (recording the outcome, a slow database).
LEASE_MARGIN_SECONDS = 30
# What a delivery records when it is given up without a POST that could succeed.
REFUSED_OUTCOME = "refused: non-public address"
NO_SID_OUTCOME = "not sent: the client requires a sid and this logout has none"
# Rows one DELETE of logout_deliveries_prune removes: short statements, no long locks.
PRUNE_BATCH_SIZE = 1000


# --- The session's public id (the ID token's sid) ---------------------------------------------


def session_id(request) -> str | None:
    """The ``sid`` of the request's signed-in browser session, or None without one (the adapter's
    ``session_id``)."""
    return get_adapter().session_id(request) or None


# --- Which clients a session reached ------------------------------------------------------------


def session_client_record(*, sid: str | None, user, client: Client, issuer: str) -> None:
    """Remember that ``client`` received a code or tokens for ``user`` in session ``sid``."""
    if not sid or user is None or not getattr(user, "pk", None):
        return
    # One upsert (INSERT ... ON CONFLICT DO UPDATE), not update_or_create's read, savepoint and write.
    SessionClient.objects.bulk_create(
        [SessionClient(sid=sid, client=client, user=user, issuer=issuer)],
        update_conflicts=True,
        unique_fields=["sid", "client"],
        update_fields=["user", "issuer"],
    )


# --- The end of a session: the outbox ----------------------------------------------------------


@transaction.atomic
def session_logout_enqueue(*, user_id, sid: str) -> int:
    """Queue a logout token for every client that received tokens in session ``sid`` of the user
    and registered a ``backchannel_logout_uri``; returns how many were queued. The session's
    records go: a later session has a new sid."""
    reached = SessionClient.objects.filter(sid=sid, user_id=user_id).select_related("client")
    now = timezone.now()
    deliveries = [
        LogoutDelivery(
            client=record.client,
            issuer=record.issuer,
            sub=str(user_id),
            sid=sid,
            next_attempt=now,
        )
        for record in reached
        if record.client.backchannel_logout_uri
    ]
    LogoutDelivery.objects.bulk_create(deliveries)
    reached.delete()
    return len(deliveries)


def session_ended(sender, *, session: EndedSession, **kwargs) -> None:
    """Receiver for the project's session-ended signal (the adapter's ``session_ended_signal()``):
    one shape, ``session`` with ``user_id`` and ``public_id``; the signal's other keywords are the
    project's own. Sent without ``session``, it is a TypeError, not a logout silently skipped."""
    if session.user_id is not None and session.public_id:
        session_logout_enqueue(user_id=session.user_id, sid=session.public_id)


def connect_session_ended() -> None:
    """Connect ``session_ended`` to the adapter's ``session_ended_signal()``, if it has one."""
    signal = get_adapter().session_ended_signal()
    if signal is not None:
        signal.connect(session_ended, dispatch_uid="oauthclients.backchannel_logout")


# --- The logout token and its delivery ---------------------------------------------------------


def logout_token(delivery: LogoutDelivery) -> str:
    """A signed logout token (§2.4) for ``delivery``: fresh ``iat``, ``exp`` and ``jti`` each time,
    ``sub`` and ``sid``, the back-channel logout event, never a ``nonce``; typ ``logout+jwt``."""
    client = delivery.client
    now = int(time.time())
    claims = {
        "iss": delivery.issuer,
        "aud": client.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_LIFETIME_SECONDS,
        "jti": uuid.uuid4().hex,
        "sub": delivery.sub,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    if delivery.sid:
        claims["sid"] = delivery.sid
    algorithm = profiles.response_signing_alg(client, client.algorithm)
    if algorithm in JWS_ALGS:
        # Signed as the client's ID tokens are (§2.4: the same key and algorithm).
        return sign_jwt(claims, alg=algorithm, typ=LOGOUT_TOKEN_TYPE)
    header = {"typ": LOGOUT_TOKEN_TYPE, "alg": client.algorithm}  # DOT's HS256
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims))
    token.make_signed_token(client.jwk_key)
    return token.serialize()


def _post(url: str, token: str) -> tuple[bool, str, bool]:
    """POST the logout token (§2.5) within the outbound deadline; (delivered, outcome, worth another
    attempt). Only 200 and 204 count (§2.8). The answer's body is never read. Touches no database:
    it runs on the deliverer's threads."""
    try:
        answer = outbound.request("POST", url, data={"logout_token": token}, max_bytes=0)
    except outbound.RefusedAddress:
        return False, REFUSED_OUTCOME, False  # the same address next time: no use retrying
    except requests.Timeout:
        return False, "timeout", True
    except requests.RequestException as error:
        return False, f"connection error ({type(error).__name__})", True
    return answer.status_code in (200, 204), f"HTTP {answer.status_code}", True


def _not_sendable(delivery: LogoutDelivery) -> str | None:
    """Why no logout token may be sent for ``delivery`` at all, or None. A client that registered
    ``backchannel_logout_session_required`` (§2.2) must reject a token without ``sid``: sending it
    one would only look like a logout that happened."""
    if delivery.client.backchannel_logout_session_required and not delivery.sid:
        return NO_SID_OUTCOME
    return None


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS))


def lease_seconds() -> int:
    """How long a claimed delivery stays claimed: longer than any attempt can run."""
    return math.ceil(outbound.deadline_seconds()) + LEASE_MARGIN_SECONDS


def _client_lock(client_id) -> str:
    return f"oauthclients:logout-in-flight:{client_id}"


def _claim(delivery_id: int) -> LogoutDelivery | None:
    """Lock one due delivery for this worker (others skip it: SELECT ... FOR UPDATE SKIP LOCKED on
    PostgreSQL), pushing its next attempt past the lease so a crashed worker's claim expires on its
    own, and never while the attempt may still run."""
    with transaction.atomic():
        delivery = (
            LogoutDelivery.objects.select_for_update(skip_locked=True)
            .due(timezone.now())
            .filter(pk=delivery_id)
            .select_related("client")
            .first()
        )
        if delivery is None:
            return None
        delivery.next_attempt = timezone.now() + timedelta(seconds=lease_seconds())
        delivery.save(update_fields=["next_attempt"])
        return delivery


def _outcome_record(delivery: LogoutDelivery, result: tuple[bool, str, bool] | None) -> LogoutDelivery:
    """Record an attempt's outcome (``result`` None: nothing may be sent at all, see
    ``_not_sendable``)."""
    if result is None:
        delivered, outcome, retry = False, _not_sendable(delivery) or "", False
    else:
        delivered, outcome, retry = result
        delivery.attempts += 1
    delivery.last_outcome = outcome
    now = timezone.now()
    if delivered:
        delivery.status = LogoutDelivery.Status.DELIVERED
        delivery.delivered = now
    elif not retry or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = LogoutDelivery.Status.FAILED
    else:
        delivery.next_attempt = now + backoff(delivery.attempts)
        # The client's host is down or slow: its other logouts wait as long, instead of each
        # costing the worker another deadline now.
        LogoutDelivery.objects.due(now).filter(client_id=delivery.client_id).exclude(pk=delivery.pk).update(
            next_attempt=delivery.next_attempt
        )
    delivery.save(update_fields=["attempts", "last_outcome", "status", "delivered", "next_attempt"])
    logger.info(
        "back-channel logout to client %s: %s (attempt %d, %s)",
        delivery.client.client_id,
        outcome,
        delivery.attempts,
        delivery.status,
    )
    return delivery


def delivery_attempt(*, delivery: LogoutDelivery) -> LogoutDelivery:
    """Send one attempt (outside any transaction: the POST may take up to the deadline) and record
    the outcome. A delivery that cannot succeed (refused address, no sid for a client that
    requires one) fails at once instead of being retried."""
    if _not_sendable(delivery):
        return _outcome_record(delivery, None)
    return _outcome_record(delivery, _post(delivery.client.backchannel_logout_uri, logout_token(delivery)))


class Deliverer:
    """Delivers the outbox with ``threads`` POSTs at once, at most one per client. The threads
    only POST; the calling thread claims, signs and records, so the database is used from one
    thread. ``run`` returns once ``stop`` is set and the POSTs under way have ended: within one
    deadline."""

    def __init__(self, *, threads: int | None = None):
        self.threads = max(1, threads or conf.get("LOGOUT_DELIVERY_THREADS"))
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="logout-delivery")
        self._in_flight: dict[Future, LogoutDelivery] = {}
        self.attempted = 0

    def _start(self, limit: float) -> int:
        """Claim and start due deliveries while threads are free; how many started."""
        busy = {delivery.client_id for delivery in self._in_flight.values()}
        free = int(min(self.threads - len(self._in_flight), limit - self.attempted))
        if free <= 0:
            return 0
        candidates = list(
            LogoutDelivery.objects.due(timezone.now())
            .exclude(client_id__in=busy)
            .order_by("next_attempt", "pk")
            .values_list("pk", "client_id")[: free * 8]
        )
        started = 0
        for delivery_id, client_id in candidates:
            if started >= free:
                break
            # One POST per client at a time, whichever worker process sends it.
            if client_id in busy or not cache.add(_client_lock(client_id), 1, lease_seconds()):
                continue
            busy.add(client_id)
            delivery = _claim(delivery_id)
            if delivery is None:
                cache.delete(_client_lock(client_id))
                continue
            self.attempted += 1
            started += 1
            if _not_sendable(delivery):
                self._finish(delivery, None)
                continue
            future = self._pool.submit(_post, delivery.client.backchannel_logout_uri, logout_token(delivery))
            self._in_flight[future] = delivery
        return started

    def _finish(self, delivery: LogoutDelivery, result) -> None:
        try:
            _outcome_record(delivery, result)
        finally:
            cache.delete(_client_lock(delivery.client_id))

    def _reap(self, timeout: float) -> None:
        """Record the POSTs that ended (waiting up to ``timeout`` for the first)."""
        done, _pending = wait(list(self._in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            delivery = self._in_flight.pop(future)
            try:
                result = future.result()
            except Exception as error:  # a bug in one POST must not stop the others
                logger.exception("back-channel logout to client %s failed", delivery.client.client_id)
                result = (False, f"error ({type(error).__name__})", True)
            self._finish(delivery, result)

    def run(
        self,
        *,
        stop: threading.Event | None = None,
        interval: float = 2.0,
        once: bool = False,
        limit: float | None = None,
    ) -> int:
        """Deliver until ``stop`` is set (``once``: until nothing more is due, at most ``limit``
        attempts); returns how many attempts were made."""
        stop = stop or threading.Event()
        limit = limit if limit is not None else (100 if once else math.inf)
        try:
            while True:
                started = 0 if stop.is_set() else self._start(limit)
                if not self._in_flight:
                    if stop.is_set() or (once and not started):
                        return self.attempted
                    if not started:
                        stop.wait(interval)
                    continue
                # Wake when a POST ends, or after a while to start what became due meanwhile.
                self._reap(0.05 if once or stop.is_set() else min(interval, 0.5))
        finally:
            while self._in_flight:  # leaving early (an error here): still record what was sent
                self._reap(outbound.deadline_seconds() + 1)
            self._pool.shutdown(wait=True)


def deliver_due(*, limit: int = 100, threads: int | None = None) -> int:
    """Attempt every due delivery (at most ``limit``), up to ``threads`` at once and one per
    client; returns how many were attempted."""
    return Deliverer(threads=threads).run(once=True, limit=limit)


def logout_deliveries_prune(*, days: int | None = None, batch_size: int = PRUNE_BATCH_SIZE) -> int:
    """Delete delivered and failed deliveries created more than ``days`` ago (default
    ``OAUTHCLIENTS["LOGOUT_DELIVERY_RETENTION_DAYS"]``), ``batch_size`` rows per DELETE so that
    no statement holds its locks for long; a pending one stays, however old. Returns how many."""
    days = conf.get("LOGOUT_DELIVERY_RETENTION_DAYS") if days is None else days
    finished = LogoutDelivery.objects.finished_before(timezone.now() - timedelta(days=days))
    deleted = 0
    while ids := list(finished.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        deleted += finished.filter(pk__in=ids).delete()[0]
    return deleted


def backchannel_logout_supported() -> bool:
    """Whether this server sends logout tokens: only when it hears of sessions ending."""
    return get_adapter().session_ended_signal() is not None
