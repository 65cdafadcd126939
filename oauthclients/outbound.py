"""The one way the server makes HTTP requests to URLs a client registered (``jwks_uri``,
``request_uri``, ``backchannel_logout_uri``), and never to an address that is not public.

Anyone may register a client (dynamic registration can be open), so such a URL is attacker-chosen:
without a check, it makes the server connect to itself (127.0.0.1), its private network (10.x,
192.168.x), or a cloud metadata service (169.254.169.254): server-side request forgery.

- The host is resolved once, here; **every** address it resolves to must be permitted
  (:func:`address_permitted`), and the connection goes to the first of them by its IP address, so
  a second lookup (DNS rebinding) can never swap it for another. https still verifies the
  certificate against the URL's hostname (SNI and hostname check use it, not the address).
- Permitted: public addresses (``ipaddress``'s ``is_global``, less multicast, reserved and the
  ranges below), the networks the operator lists in ``OAUTHCLIENTS["OUTBOUND_ALLOWED_NETWORKS"]``,
  and loopback while ``DEBUG`` is on (the two-instance local demo).
- Redirects are never followed, proxies and ``.netrc`` from the environment are not used (the
  address checked must be the one connected to).
- Every request has a hard wall-clock deadline (``OAUTHCLIENTS["OUTBOUND_DEADLINE_SECONDS"]``)
  covering the lookup, connect, TLS, headers and body, however the peer paces its bytes: requests'
  ``timeout`` is per socket read, so a host sending one byte every few seconds would hold the
  caller for good. Each socket's timeout is the time left, the body is read in small chunks
  against the deadline, and a watchdog shuts the connection's socket down when the time is up
  (which wakes any read or TLS handshake blocked on it). The answer is read here, capped.
- Request-path callers (keys, request objects) also take one of ``OUTBOUND_REQUEST_SLOTS`` slots
  (``request_slot``), counted in the shared cache across processes: when all are taken the caller
  is told at once (``Busy``), so clients' hosts can never hold more than that many web workers.

Why not a library: requests-hardened (Saleor) pins the connection the same way and was the first
choice, but it allows loopback or nothing: no list of networks for an operator whose clients live
on a private network, and its filter is a module function its adapter calls by name, so adding one
means patching its internals; advocate has had no release since 2020 and predates urllib3 2. The
pinning below uses requests' public ``HTTPAdapter.build_connection_pool_key_attributes`` hook
(requests >= 2.32.2) and urllib3's ``server_hostname`` pool argument; the deadline uses requests'
``init_poolmanager`` hook, urllib3's ``pool_classes_by_scheme``/``ConnectionCls`` and the
connection's public ``connect()`` and ``sock`` (written against urllib3 2.8: ``connect`` sets
``sock`` to the TCP socket before the TLS handshake; tests/oauthclients/test_slow_peers.py fails
if a slow TLS peer is no longer cut off). Nothing private.
"""

import contextvars
import ipaddress
import logging
import math
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util.connection import allowed_gai_family

from oauthclients import conf, signals

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not public, though this Python's ``is_global`` may not know it yet.
_ALSO_NOT_PUBLIC = tuple(
    ipaddress.ip_network(network)
    for network in (
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598): can reach a provider's internal hosts
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "64:ff9b::/96",  # NAT64: would reach whatever IPv4 address it embeds
        "64:ff9b:1::/48",  # local-use NAT64
        "3fff::/20",  # documentation (RFC 9637)
    )
)
# The hostnames that are loopback by definition (RFC 6761 §6.3), whatever a resolver says.
_LOOPBACK_NAMES = ("localhost", ".localhost")


# The body is read this many bytes at a time, the deadline checked between reads.
READ_CHUNK_BYTES = 1024
# What is read of an answer unless the caller says otherwise.
DEFAULT_MAX_BYTES = 16 * 1024
# A slot is held at most this long past the deadline (a process killed mid-request frees it then).
SLOT_MARGIN_SECONDS = 5
# Lookups run here so that a slow resolver counts against the deadline; a lookup abandoned at the
# deadline finishes (the resolver's own timeout) on one of these few threads, never on more.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="outbound-dns")


class RefusedAddress(requests.ConnectionError):
    """The URL's host is, or resolves to, an address the server does not connect to."""


class DeadlineExceeded(requests.Timeout):
    """The peer did not answer in full before the request's wall-clock deadline."""


class ResponseTooLarge(requests.RequestException):
    """The answer's body is larger than the caller accepts."""


class Busy(Exception):
    """Every outbound request slot is taken: the caller answers at once instead of waiting."""


def deadline_seconds() -> float:
    """The wall-clock bound of one outbound request (``OUTBOUND_DEADLINE_SECONDS``)."""
    return float(conf.get("OUTBOUND_DEADLINE_SECONDS"))


class Deadline:
    """A point on the monotonic clock, and the connections it must cut off when it passes."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self._connections: list[HTTPConnection] = []
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self.cut = False

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def check(self) -> float:
        """The seconds left; DeadlineExceeded when there are none."""
        left = self.remaining()
        if left <= 0:
            raise DeadlineExceeded(f"no answer in full within {self.seconds:g} s")
        return left

    def watch(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connections.append(connection)

    def start(self) -> None:
        threading.Thread(target=self._watchdog, name="outbound-deadline", daemon=True).start()

    def finish(self) -> None:
        self._finished.set()

    def _watchdog(self) -> None:
        if self._finished.wait(max(self.remaining(), 0)):
            return
        # Time is up: shut every socket of the request down (a blocked read or handshake returns
        # at once), and keep doing so for one opened in between until the request gives up.
        while True:
            self.cut = True
            with self._lock:
                sockets = [connection.sock for connection in self._connections]
            for sock in sockets:
                if sock is not None:
                    # The TCP socket's own shutdown, under any TLS layer: no TLS state touched.
                    with suppress(OSError):
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)
            if self._finished.wait(0.05):
                return


_current_deadline: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "outbound_deadline", default=None
)


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(value.strip()) for value in values)
    except ValueError as error:
        raise ImproperlyConfigured(f"OAUTHCLIENTS['OUTBOUND_ALLOWED_NETWORKS']: {error}.") from None


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The operator's extra networks (CIDR), parsed; ImproperlyConfigured for a bad one."""
    return _networks(tuple(conf.get("OUTBOUND_ALLOWED_NETWORKS") or ()))


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped (::ffff:a.b.c.d) or 6to4 (2002::/16) address stands for."""
    if isinstance(ip, ipaddress.IPv6Address):
        return ip.ipv4_mapped or ip.sixtofour
    return None


def is_public(ip: IPAddress) -> bool:
    """Whether ``ip`` is a globally reachable unicast address (and any IPv4 address it wraps is too)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return is_public(ip.ipv4_mapped)  # the IPv4 address is the one reached
    inner = _embedded_ipv4(ip)
    if inner is not None:
        # 6to4 (2002::/16): reached through the IPv4 address it wraps, so public exactly when that
        # is (Python 3.13's is_global calls the whole block not global, 3.11's called it global).
        return is_public(inner)
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or any(ip in net for net in _ALSO_NOT_PUBLIC):
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return False
    return ip.is_global


def address_permitted(ip: IPAddress) -> bool:
    """Whether the server may connect to ``ip``: public, in ``OUTBOUND_ALLOWED_NETWORKS``, or
    loopback while DEBUG is on."""
    forms = [ip] + ([inner] if (inner := _embedded_ipv4(ip)) is not None else [])
    if any(form in net for form in forms for net in allowed_networks()):
        return True
    if settings.DEBUG and any(form.is_loopback for form in forms):
        return True
    return is_public(ip)


def literal_host_address(hostname: str) -> IPAddress | None:
    """The address a URL's host names without a lookup: an IP literal, or loopback for
    ``localhost`` names; None for any other hostname (only resolving it can tell)."""
    hostname = (hostname or "").strip("[]").lower().rstrip(".")
    if hostname == _LOOPBACK_NAMES[0] or hostname.endswith(_LOOPBACK_NAMES[1]):
        return ipaddress.IPv4Address("127.0.0.1")
    try:
        return ipaddress.ip_address(hostname.split("%", 1)[0])
    except ValueError:
        return None


def host_problem(url: str, *, name: str) -> str | None:
    """Why the server would refuse ``url``'s host without resolving it (a non-public IP literal
    or a ``localhost`` name), or None: what registration can tell up front."""
    hostname = urlsplit(url).hostname or ""
    address = literal_host_address(hostname)
    if address is not None and not address_permitted(address):
        return (
            f"{name} points at {hostname}, a non-public address this server does not connect to; "
            "use a public host."
        )
    return None


def _lookup(hostname: str, port: int):
    return socket.getaddrinfo(hostname, port, family=allowed_gai_family(), type=socket.SOCK_STREAM)


def resolve_permitted(hostname: str, port: int) -> str:
    """The address to connect to for ``hostname``: its first, once every address it resolves to
    is permitted. RefusedAddress otherwise, ConnectionError when it does not resolve, and
    DeadlineExceeded when the lookup outlasts the current request's deadline."""
    deadline = _current_deadline.get()
    try:
        if deadline is None:
            answers = _lookup(hostname, port)
        else:
            answers = _resolver.submit(_lookup, hostname, port).result(timeout=deadline.check())
    except FutureTimeout:
        raise DeadlineExceeded("the host's name did not resolve in time") from None
    except (OSError, UnicodeError) as error:
        raise requests.ConnectionError(f"cannot resolve the host ({type(error).__name__})") from None
    addresses = []
    for family, *_rest, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        addresses.append(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
    if not addresses:
        raise requests.ConnectionError("the host has no IP address")
    refused = [address for address in addresses if not address_permitted(address)]
    if refused:
        logger.warning("Refused an outbound request to %s: it resolves to %s.", hostname, refused[0])
        raise RefusedAddress("non-public address")
    return str(addresses[0])


def _within_deadline(connection: HTTPConnection) -> None:
    """Before a connection connects: watched by the request's deadline, its connect timeout no
    longer than the time left."""
    deadline = _current_deadline.get()
    if deadline is None:
        return
    left = deadline.check()
    deadline.watch(connection)
    connection.timeout = left if connection.timeout is None else min(connection.timeout, left)


class _DeadlineHTTPConnection(HTTPConnection):
    def connect(self):
        _within_deadline(self)
        super().connect()


class _DeadlineHTTPSConnection(HTTPSConnection):
    def connect(self):
        _within_deadline(self)
        super().connect()


class _DeadlineHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


class PinnedAddressAdapter(HTTPAdapter):
    """A requests transport that connects to the checked address of the URL's host, and whose
    connections the current request's deadline cuts off (see the module)."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _DeadlineHTTPConnectionPool,
            "https": _DeadlineHTTPSConnectionPool,
        }

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        scheme, hostname, port = host_params["scheme"], host_params["host"], host_params["port"]
        address = resolve_permitted(hostname, port or (443 if scheme == "https" else 80))
        if scheme == "https":
            # The certificate is checked against the name the client registered, and SNI asks for it.
            pool_kwargs["server_hostname"] = hostname
        # The Host header names the host, not the address connected to.
        shown = f"[{hostname}]" if ":" in hostname else hostname
        request.headers["Host"] = f"{shown}:{port}" if port else shown
        host_params["host"] = address
        return host_params, pool_kwargs


@dataclass(frozen=True)
class Answer:
    """What a peer answered: its status, headers and (capped) body."""

    status_code: int
    headers: dict
    content: bytes


def _read_body(response: requests.Response, deadline: Deadline, max_bytes: int) -> bytes:
    """The body, a small chunk at a time, each read given only the time left."""
    body = bytearray()
    while True:
        deadline.check()
        chunk = response.raw.read1(READ_CHUNK_BYTES, decode_content=True)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            raise ResponseTooLarge(f"the answer is larger than {max_bytes} bytes")


def _refused(reason: str) -> None:
    """Announces a refusal (``signals.outbound_refused``); the project's metrics count them."""
    signals.outbound_refused.send(sender=None, reason=reason)


def request(
    method: str, url: str, *, deadline: float | None = None, max_bytes: int = DEFAULT_MAX_BYTES, **kwargs
) -> Answer:
    """A request to a client-registered URL through :class:`PinnedAddressAdapter`, without
    redirects or the environment's proxies, answered in full within ``deadline`` seconds
    (default ``OUTBOUND_DEADLINE_SECONDS``) whatever the peer's pacing. At most ``max_bytes`` of
    the body are read (0: the body is not read). Raises RefusedAddress for a non-public address,
    DeadlineExceeded (a ``requests.Timeout``) when the time is up, ResponseTooLarge, and requests'
    other exceptions as usual. A refusal or a missed deadline is announced (``outbound_refused``)."""
    try:
        return _request(method, url, deadline=deadline, max_bytes=max_bytes, **kwargs)
    except RefusedAddress:
        _refused("address")
        raise
    except DeadlineExceeded:
        _refused("deadline")
        raise


def _request(method: str, url: str, *, deadline: float | None, max_bytes: int, **kwargs) -> Answer:
    # The operator's CA bundle (OUTBOUND_CA_BUNDLE) unless the caller names one; never unverified.
    kwargs.setdefault("verify", conf.get("OUTBOUND_CA_BUNDLE") or True)
    limit = Deadline(deadline_seconds() if deadline is None else deadline)
    token = _current_deadline.set(limit)
    limit.start()
    try:
        with requests.Session() as session:
            session.trust_env = False
            session.mount("http://", PinnedAddressAdapter())
            session.mount("https://", PinnedAddressAdapter())
            left = limit.check()
            with session.request(
                method, url, timeout=(left, left), allow_redirects=False, stream=True, **kwargs
            ) as response:
                body = _read_body(response, limit, max_bytes) if max_bytes else b""
                answer = Answer(response.status_code, dict(response.headers), body)
        limit.check()  # whatever arrived, it came too late
        return answer
    except (requests.RequestException, Urllib3Error, OSError, ValueError) as error:
        if limit.cut or limit.remaining() <= 0:
            raise DeadlineExceeded(f"no answer in full within {limit.seconds:g} s") from None
        if isinstance(error, requests.RequestException):
            raise
        raise requests.ConnectionError(f"the connection failed ({type(error).__name__})") from None
    finally:
        limit.finish()
        _current_deadline.reset(token)


# --- A bounded share of the web workers ---------------------------------------------------------


@contextmanager
def request_slot():
    """Hold one of ``OUTBOUND_REQUEST_SLOTS`` request slots (shared cache: every thread and
    process of the site counts together) while waiting on a client's host; Busy at once when all
    are taken. A slot's lease outlasts the deadline, so a killed process frees its own."""
    lease = math.ceil(deadline_seconds()) + SLOT_MARGIN_SECONDS
    mine = uuid.uuid4().hex
    for number in range(int(conf.get("OUTBOUND_REQUEST_SLOTS"))):
        key = f"oauthclients:outbound-slot:{number}"
        if cache.add(key, mine, lease):
            break
    else:
        logger.warning("Every outbound request slot is taken: a request was turned away.")
        _refused("busy")
        raise Busy("every outbound request slot is taken")
    try:
        yield
    finally:
        if cache.get(key) == mine:
            cache.delete(key)
