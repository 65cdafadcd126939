"""Pushed authorization requests (RFC 9126): the ``request_uri`` values the PAR endpoint issues,
stored as SHA-256 checksums, short-lived (``OAUTHCLIENTS["PAR_EXPIRES_SECONDS"]``), bound to the
client that pushed them, and spent once.

Spending is race-safe across processes and instances without any lock held over a request: the
row is read, then deleted by its primary key, and only the request whose DELETE removed the row
(rowcount 1) uses it. Two requests redeeming the same ``request_uri`` at once both read the row;
the database serialises their DELETEs, and the second deletes nothing (on PostgreSQL it waits for
the first to commit, then finds the row gone). The database rather than the shared cache: a
cache's get-and-delete is atomic only on one Redis, not on the local-memory cache a single-process
deployment or the tests use, and an evicted key would be a lost request; the database is the one
store every instance already shares with the same guarantees (tests/concurrency holds it).
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from django.utils import timezone

from oauthclients import conf
from oauthclients.grants import PUSHED_REQUEST_URI_PREFIX
from oauthclients.models import Client, PushedAuthorizationRequest

# 256 bits from the OS's CSPRNG, URL-safe: unguessable, so a request_uri is as good as a token.
_RANDOM_BYTES = 32


def is_pushed_request_uri(value) -> bool:
    """``value`` is (meant as) a request_uri of this server's PAR endpoint."""
    return isinstance(value, str) and value.startswith(PUSHED_REQUEST_URI_PREFIX)


def uri_checksum(request_uri: str) -> str:
    return hashlib.sha256(request_uri.encode()).hexdigest()


def pushed_request_create(
    *, client: Client, parameters: list[tuple[str, str]], expires_in: int | None = None
) -> tuple[str, int]:
    """Store a validated authorization request for ``client``: its request_uri (returned once,
    stored only as a checksum) and how many seconds it may be used in (``PAR_EXPIRES_SECONDS``
    unless ``expires_in`` says otherwise)."""
    if expires_in is None:
        expires_in = conf.get("PAR_EXPIRES_SECONDS")
    request_uri = PUSHED_REQUEST_URI_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)
    row = PushedAuthorizationRequest(
        uri_checksum=uri_checksum(request_uri),
        client=client,
        parameters=[[name, value] for name, value in parameters],
        expires=timezone.now() + timedelta(seconds=expires_in),
    )
    # The client was read by this request, and 256 random bits never repeat (the unique index would
    # refuse it anyway): checking either again would be two more queries on every push. One INSERT,
    # atomic in autocommit.
    row.full_clean(exclude=["client", "uri_checksum"])
    row.save()
    return request_uri, expires_in


class Redeemed(NamedTuple):
    parameters: list[tuple[str, str]]
    expires: datetime  # when the request_uri would have expired, had it not been spent


def pushed_request_redeem(*, client_id: str, request_uri: str) -> Redeemed | None:
    """The parameters pushed as ``request_uri`` by the client ``client_id`` and its expiry,
    spending it; None when
    there is no such request for this client, it has expired, or another request spent it first.
    A request_uri named with another client's client_id is not spent (nor revealed)."""
    if not isinstance(client_id, str) or "\x00" in client_id or not is_pushed_request_uri(request_uri):
        return None
    pushed = (
        PushedAuthorizationRequest.objects.filter(
            uri_checksum=uri_checksum(request_uri), client__client_id=client_id
        )
        .only("id", "parameters", "expires")
        .first()
    )
    if pushed is None:
        return None
    # The conditional delete decides who spends it (module docstring). An expired one is deleted
    # too: it can never be used again.
    deleted, _ = PushedAuthorizationRequest.objects.filter(pk=pushed.pk).delete()
    if not deleted or pushed.expires <= timezone.now():
        return None
    return Redeemed([(name, value) for name, value in pushed.parameters], pushed.expires)


def pushed_requests_prune() -> int:
    """Delete the pushed requests that expired unused; how many."""
    deleted, _ = PushedAuthorizationRequest.objects.expired(timezone.now()).delete()
    return deleted
