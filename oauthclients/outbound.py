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
  address checked must be the one connected to), and the caller sets a timeout.

Why not a library: requests-hardened (Saleor) pins the connection the same way and was the first
choice, but it allows loopback or nothing: no list of networks for an operator whose clients live
on a private network, and its filter is a module function its adapter calls by name, so adding one
means patching its internals; advocate has had no release since 2020 and predates urllib3 2. The
pinning below uses requests' public ``HTTPAdapter.build_connection_pool_key_attributes`` hook
(requests >= 2.32.2) and urllib3's ``server_hostname`` pool argument, nothing private.
"""

import ipaddress
import logging
import socket
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from requests.adapters import HTTPAdapter
from urllib3.util.connection import allowed_gai_family

from oauthclients import conf

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


class RefusedAddress(requests.ConnectionError):
    """The URL's host is, or resolves to, an address the server does not connect to."""


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
    if inner is not None and not is_public(inner):
        return False
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


def resolve_permitted(hostname: str, port: int) -> str:
    """The address to connect to for ``hostname``: its first, once every address it resolves to
    is permitted. RefusedAddress otherwise, ConnectionError when it does not resolve."""
    try:
        answers = socket.getaddrinfo(hostname, port, family=allowed_gai_family(), type=socket.SOCK_STREAM)
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


class PinnedAddressAdapter(HTTPAdapter):
    """A requests transport that connects to the checked address of the URL's host (see the module)."""

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


def request(method: str, url: str, *, timeout, **kwargs) -> requests.Response:
    """``requests.request`` to a client-registered URL through :class:`PinnedAddressAdapter`,
    without redirects or the environment's proxies. Raises RefusedAddress for a non-public address
    and requests' other exceptions as usual."""
    with requests.Session() as session:
        session.trust_env = False
        session.mount("http://", PinnedAddressAdapter())
        session.mount("https://", PinnedAddressAdapter())
        return session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
