"""OpenID Connect Back-Channel Logout 1.0, the provider's side.

- A browser session is named by its public id, the ID token's ``sid`` (``session_id``): the
  project's session id when ``OAUTHCLIENTS["SESSION_ID_FUNCTION"]`` names one (Beer Locker:
  ``accounts.sessions.session_public_id``), else an HMAC of the session key, never the key itself.
- Every client that gets a code or tokens at the authorization endpoint in a session is recorded
  with it (``session_client_record``, a ``SessionClient`` row).
- When the session ends (``session_ended``: the signal ``OAUTHCLIENTS["SESSION_ENDED_SIGNAL"]``
  names is connected to it), each of those clients that registered a ``backchannel_logout_uri`` gets
  a ``LogoutDelivery`` row, in the same transaction as the end of the session: the outbox.
- ``manage.py logoutworker`` delivers the outbox outside any user's request (``deliver_due``): it
  signs a logout token (§2.4) per attempt and POSTs it (§2.5) through ``oauthclients.outbound``
  (public addresses only), retrying with backoff; a slow or failing client costs the worker a
  timeout, never the user a thing. ``manage.py prunelogoutdeliveries`` deletes old finished rows.
- Every delivery carries the session's ``sid``; one without it is never sent to a client that
  registered ``backchannel_logout_session_required`` (§2.2).
"""

import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from jwcrypto import jwt

from oauthclients import conf, outbound
from oauthclients.models import Client, LogoutDelivery, SessionClient

logger = logging.getLogger(__name__)

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"  # noqa: S105 - a media type, not a secret
# A logout token is for immediate use (§2.4 recommends a short lifetime).
LOGOUT_TOKEN_LIFETIME_SECONDS = 120
# Attempt n+1 waits BACKOFF_BASE_SECONDS * 2**n (capped); after MAX_ATTEMPTS the delivery fails.
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
MAX_ATTEMPTS = 8
REQUEST_TIMEOUT_SECONDS = 5
# What a delivery records when it is given up without a POST that could succeed.
REFUSED_OUTCOME = "refused: non-public address"
NO_SID_OUTCOME = "not sent: the client requires a sid and this logout has none"
# Rows one DELETE of logout_deliveries_prune removes: short statements, no long locks.
PRUNE_BATCH_SIZE = 1000


# --- The session's public id (the ID token's sid) ---------------------------------------------


def session_id(request) -> str | None:
    """The ``sid`` of the request's signed-in browser session, or None without one."""
    path = conf.get("SESSION_ID_FUNCTION")
    if path:
        return import_string(path)(request) or None
    key = getattr(getattr(request, "session", None), "session_key", None)
    if not key:
        return None
    # A stable derivation that cannot be reversed into the key (which is a bearer secret).
    digest = hmac.new(settings.SECRET_KEY.encode(), b"oauthclients.sid:" + key.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


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


def session_ended(sender, **kwargs) -> None:
    """Receiver for the project's "session ended" signal. Accepts the ``accounts`` shape
    (``session`` with ``public_id`` and ``user_id``) and the plain one (``user``,
    ``session_public_id``), so the adapter stays this small."""
    session = kwargs.get("session")
    if session is not None:
        user_id, sid = session.user_id, session.public_id
    else:
        user = kwargs.get("user")
        user_id, sid = getattr(user, "pk", None), kwargs.get("session_public_id")
    if user_id is not None and sid:
        session_logout_enqueue(user_id=user_id, sid=sid)


def connect_session_ended() -> None:
    """Connect ``session_ended`` to the signal ``OAUTHCLIENTS["SESSION_ENDED_SIGNAL"]`` names."""
    path = conf.get("SESSION_ENDED_SIGNAL")
    if path:
        import_string(path).connect(session_ended, dispatch_uid="oauthclients.backchannel_logout")


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
    key = client.jwk_key
    header = {"typ": LOGOUT_TOKEN_TYPE, "alg": client.algorithm}
    if client.algorithm == Client.RS256_ALGORITHM:
        header["kid"] = key.thumbprint()
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims))
    token.make_signed_token(key)
    return token.serialize()


def _post(delivery: LogoutDelivery) -> tuple[bool, str, bool]:
    """POST the logout token (§2.5); (delivered, outcome, worth another attempt). Only 200 and
    204 count (§2.8). The answer's body is never read."""
    try:
        with outbound.request(
            "POST",
            delivery.client.backchannel_logout_uri,
            data={"logout_token": logout_token(delivery)},
            timeout=REQUEST_TIMEOUT_SECONDS,
            stream=True,
        ) as response:
            status = response.status_code
    except outbound.RefusedAddress:
        return False, REFUSED_OUTCOME, False  # the same address next time: no use retrying
    except requests.Timeout:
        return False, "timeout", True
    except requests.RequestException as error:
        return False, f"connection error ({type(error).__name__})", True
    return status in (200, 204), f"HTTP {status}", True


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


def _claim(delivery_id: int) -> LogoutDelivery | None:
    """Lock one due delivery for this worker (others skip it), pushing its next attempt past the
    request timeout so a crashed worker's claim expires on its own."""
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
        delivery.next_attempt = timezone.now() + timedelta(seconds=REQUEST_TIMEOUT_SECONDS * 4)
        delivery.save(update_fields=["next_attempt"])
        return delivery


def delivery_attempt(*, delivery: LogoutDelivery) -> LogoutDelivery:
    """Send one attempt (outside any transaction: the POST may take seconds) and record the
    outcome. A delivery that cannot succeed (refused address, no sid for a client that requires
    one) fails at once instead of being retried."""
    problem = _not_sendable(delivery)
    if problem:
        delivered, outcome, retry = False, problem, False
    else:
        delivered, outcome, retry = _post(delivery)
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
    delivery.save(update_fields=["attempts", "last_outcome", "status", "delivered", "next_attempt"])
    logger.info(
        "back-channel logout to client %s: %s (attempt %d, %s)",
        delivery.client.client_id,
        outcome,
        delivery.attempts,
        delivery.status,
    )
    return delivery


def deliver_due(*, limit: int = 100) -> int:
    """Attempt every due delivery (at most ``limit``); returns how many were attempted."""
    ids = list(LogoutDelivery.objects.due(timezone.now()).values_list("pk", flat=True)[:limit])
    attempted = 0
    for delivery_id in ids:
        delivery = _claim(delivery_id)
        if delivery is not None:
            delivery_attempt(delivery=delivery)
            attempted += 1
    return attempted


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
    return bool(conf.get("SESSION_ENDED_SIGNAL"))
