"""Requests to URLs a client registered (jwks_uri, request_uri, backchannel_logout_uri) never reach
a non-public address (oauthclients.outbound): not at registration, not when the server connects.

Every connection in these tests goes to a loopback address, where a ``LocalServer`` counts what
reaches it. The ``beyond_loopback`` fixture makes sure of it: an attempt to connect anywhere else
is recorded and fails like an unreachable host instead of leaving the machine."""

import ipaddress
import socket
from contextlib import contextmanager
from urllib.parse import parse_qs

import pytest
import requests
from django.core import checks
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from urllib3.util.connection import allowed_gai_family

from oauthclients import outbound, services
from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, TokenEndpointAuthMethod
from oauthclients.models import LogoutDelivery
from oauthclients.validation import validate_client_metadata
from tests.oidc_conformance.rp import RelyingParty, auth_request, authorize, callback, sign_in
from tests.support.client_keys import ClientKey, public_jwks
from tests.support.local_server import LocalServer, tls_context_for
from tests.support.oauth import TOKEN

pytestmark = pytest.mark.django_db

KEY = ClientKey()
PUBLIC_ADDRESS = "93.184.215.14"  # example.com's; never really connected to (see beyond_loopback)
EVERY_LOOPBACK = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(autouse=True)
def beyond_loopback(monkeypatch):
    """The addresses outside loopback a socket of this process tried to connect to; none was."""
    attempts = []
    connect = socket.socket.connect

    def loopback_only(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0].split("%", 1)[0]
            if not ipaddress.ip_address(host).is_loopback:
                attempts.append(host)
                raise ConnectionRefusedError(f"test: no connection to {host}")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    return attempts


@pytest.fixture
def allowed(settings):
    """``allowed(networks)``: set OUTBOUND_ALLOWED_NETWORKS (a context manager, restored after)."""

    @contextmanager
    def allow(networks):
        before = settings.OAUTHCLIENTS
        settings.OAUTHCLIENTS = {**before, "OUTBOUND_ALLOWED_NETWORKS": networks}
        try:
            yield
        finally:
            settings.OAUTHCLIENTS = before

    return allow


def first_address_of(hostname):
    """The address the server would connect to for ``hostname`` (its resolver's first answer)."""
    return socket.getaddrinfo(hostname, 80, family=allowed_gai_family(), type=socket.SOCK_STREAM)[0][4][0]


@pytest.fixture
def local_server(request):
    """A LocalServer where a test's ``host`` parameter leads (loopback), so that a connection that
    should not happen would reach it and be counted."""
    host = getattr(getattr(request.node, "callspec", None), "params", {}).get("host", "127.0.0.1")
    address = {"localhost": first_address_of("localhost"), "[::1]": "::1"}.get(host, "127.0.0.1")
    with LocalServer(host=address) as server:
        yield server


# --- Which addresses -----------------------------------------------------------------------------

NOT_PUBLIC = [
    "127.0.0.1",  # loopback
    "127.1.2.3",
    "10.0.0.1",  # RFC 1918
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # link-local: cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104 - unspecified
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "::1",
    "::",
    "fc00::1",  # unique local
    "fd12:3456::1",
    "fe80::1",  # link-local
    "fec0::1",  # site-local (deprecated)
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "::a00:1",  # IPv4-compatible (deprecated)
    "2001:db8::1",  # documentation
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses_are_refused(address):
    assert not outbound.address_permitted(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_permitted(address):
    assert outbound.address_permitted(ipaddress.ip_address(address))


def test_loopback_is_permitted_in_debug_and_nothing_else_is(settings):
    settings.DEBUG = True
    assert outbound.address_permitted(ipaddress.ip_address("127.0.0.1"))
    assert outbound.address_permitted(ipaddress.ip_address("::1"))
    assert not outbound.address_permitted(ipaddress.ip_address("10.0.0.1"))
    assert not outbound.address_permitted(ipaddress.ip_address("169.254.169.254"))


def test_an_allowed_network_is_permitted_and_nothing_around_it(allowed):
    with allowed(["10.20.0.0/16", "fd00:1::/64"]):
        assert outbound.address_permitted(ipaddress.ip_address("10.20.3.4"))
        assert outbound.address_permitted(ipaddress.ip_address("::ffff:10.20.3.4"))
        assert outbound.address_permitted(ipaddress.ip_address("fd00:1::5"))
        assert not outbound.address_permitted(ipaddress.ip_address("10.21.0.1"))
        assert not outbound.address_permitted(ipaddress.ip_address("fd00:2::5"))
        assert not outbound.address_permitted(ipaddress.ip_address("127.0.0.1"))


def test_a_malformed_allowed_network_fails_the_system_check(allowed):
    with allowed(["10.0.0.1/8"]):
        errors = [message for message in checks.run_checks() if message.id == "oauthclients.E001"]
    assert len(errors) == 1
    assert "10.0.0.1/8 has host bits set" in errors[0].msg


# --- Registration --------------------------------------------------------------------------------

BASE = {"redirect_uris": [], "grant_types": [CLIENT_CREDENTIALS], "scope": "stats:read"}


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"jwks_uri": "https://10.0.0.1/jwks"}, "jwks_uri"),
        ({"jwks_uri": "https://169.254.169.254/latest/meta-data/"}, "jwks_uri"),
        ({"jwks_uri": "https://localhost/jwks"}, "jwks_uri"),
        ({"request_uris": ["https://rp.example.com/ro", "https://[::1]/ro"]}, "request_uris"),
        ({"request_uris": ["https://[::ffff:10.0.0.1]/ro"]}, "request_uris"),
        ({"backchannel_logout_uri": "http://127.0.0.1:8000/logout"}, "backchannel_logout_uri"),
        ({"backchannel_logout_uri": "https://[fd00::1]/logout"}, "backchannel_logout_uri"),
        ({"backchannel_logout_uri": "https://192.168.0.10/logout"}, "backchannel_logout_uri"),
    ],
)
def test_registration_refuses_a_non_public_address(metadata, field):
    with pytest.raises(ValidationError) as error:
        validate_client_metadata(token_endpoint_auth_method="client_secret_basic", **BASE, **metadata)
    assert list(error.value.message_dict) == [field]
    assert "a non-public address this server does not connect to" in error.value.message_dict[field][0]


def test_registration_accepts_an_allowed_network_and_loopback_in_debug(allowed, settings):
    metadata = {
        **BASE,
        "token_endpoint_auth_method": "client_secret_basic",
        "jwks_uri": "https://10.20.0.5/jwks",
        "backchannel_logout_uri": "https://10.20.0.6/logout",
    }
    with allowed(["10.20.0.0/16"]):
        assert validate_client_metadata(**metadata)["jwks_uri"] == "https://10.20.0.5/jwks"
    settings.DEBUG = True
    local = {
        **metadata,
        "jwks_uri": "http://localhost:8001/jwks",
        "backchannel_logout_uri": "http://127.0.0.1:8001/bc",
    }
    assert validate_client_metadata(**local)["backchannel_logout_uri"] == "http://127.0.0.1:8001/bc"


def test_open_registration_refuses_the_metadata_service_with_invalid_client_metadata(settings, api_client):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "DCR_OPEN": True}
    response = api_client.post(
        "/api/oauth2/register",
        {
            "client_name": "Curious",
            "redirect_uris": ["https://rp.example.com/cb"],
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": "https://169.254.169.254/latest/meta-data/iam/",
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_client_metadata"
    assert "jwks_uri points at 169.254.169.254, a non-public address" in body["error_description"]
    assert not services.Client.objects.exists()


def test_the_clients_api_refuses_a_private_backchannel_uri_on_that_field(basic_client):
    response = basic_client.post(
        "/api/clients",
        {
            "client_name": "Internal",
            "redirect_uris": ["https://rp.example.com/cb"],
            "grant_types": ["authorization_code"],
            "backchannel_logout_uri": "https://10.1.2.3/logout",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "non-public address" in response.json()["backchannel_logout_uri"][0]
    assert not services.Client.objects.exists()


# --- jwks_uri: private_key_jwt ------------------------------------------------------------------


def keyed_client(user, jwks_uri):
    client, _secret = services.client_create(
        owner=user,
        client_name="Keyed",
        redirect_uris=[],
        grant_types=[CLIENT_CREDENTIALS],
        token_endpoint_auth_method=TokenEndpointAuthMethod.PRIVATE_KEY_JWT,
        scope="stats:read",
        jwks_uri=jwks_uri,
    )
    return client


@pytest.mark.parametrize(
    "host",
    ["localhost", "127.0.0.1", "[::1]", "169.254.169.254", "10.0.0.1"],
)
def test_a_jwks_uri_on_a_non_public_address_fails_client_authentication(
    api_client, user, allowed, local_server, beyond_loopback, host
):
    url = f"https://{host}:{local_server.port}/jwks.json"
    with allowed([*EVERY_LOOPBACK, "169.254.0.0/16", "10.0.0.0/8"]):  # registered while allowed
        client = keyed_client(user, url)

    response = api_client.post(
        TOKEN,
        {
            "grant_type": CLIENT_CREDENTIALS,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": KEY.assertion(client.client_id),
        },
    )

    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"
    assert not get_access_token_model().objects.exists()
    assert local_server.connections == 0
    assert beyond_loopback == []


# --- request_uri ----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "169.254.169.254"])
def test_a_request_uri_on_a_non_public_address_is_invalid_request_uri(
    user, allowed, local_server, beyond_loopback, host
):
    request_uri = f"https://{host}:{local_server.port}/ro"
    with allowed([*EVERY_LOOPBACK, "169.254.0.0/16"]):
        client, secret = services.client_create(
            owner=user,
            client_name="RO",
            redirect_uris=["https://rp.example.com/cb"],
            grant_types=[AUTHORIZATION_CODE],
            scope="openid",
            jwks=public_jwks(KEY),
            request_uris=[request_uri],
        )
    rp = RelyingParty(client.client_id, secret, redirect_uri="https://rp.example.com/cb")
    request = auth_request(rp, request_uri=request_uri)

    _mode, params = callback(authorize(sign_in(user), rp, request), rp)

    assert params["error"] == "invalid_request_uri"
    assert params["state"] == request["state"]
    assert "code" not in params
    assert local_server.connections == 0
    assert beyond_loopback == []


# --- backchannel_logout_uri: the logout worker -------------------------------------------------


@pytest.fixture
def queued_logout(user, allowed):
    """``queued_logout(uri)``: a logout token waiting in the outbox for a client that registered
    ``uri`` as its backchannel_logout_uri while the operator allowed every network used here."""

    def queue(backchannel_logout_uri):
        with allowed([*EVERY_LOOPBACK, "10.0.0.0/8", "169.254.0.0/16"]):
            client, _secret = services.client_create(
                owner=user,
                client_name="RP",
                redirect_uris=["https://rp.example.com/cb"],
                grant_types=[AUTHORIZATION_CODE],
                scope="openid",
                backchannel_logout_uri=backchannel_logout_uri,
            )
        return LogoutDelivery.objects.create(
            client=client,
            issuer="http://testserver/api/oauth2",
            sub=str(user.pk),
            sid="session-1",
            next_attempt=timezone.now(),
        )

    return queue


def run_worker(capsys) -> str:
    call_command("logoutworker", "--once")
    return capsys.readouterr().out.strip()


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "[::1]", "10.0.0.1", "169.254.169.254", "[::ffff:127.0.0.1]"]
)
def test_a_logout_to_a_non_public_address_is_refused_recorded_and_not_retried(
    queued_logout, local_server, beyond_loopback, capsys, host
):
    scheme = "http" if host in ("localhost", "127.0.0.1", "[::1]") else "https"
    delivery = queued_logout(f"{scheme}://{host}:{local_server.port}/backchannel")

    assert run_worker(capsys) == "1 logout deliveries attempted."

    delivery.refresh_from_db()
    assert delivery.status == LogoutDelivery.Status.FAILED
    assert (delivery.attempts, delivery.last_outcome) == (1, "refused: non-public address")
    assert local_server.connections == 0
    assert beyond_loopback == []
    LogoutDelivery.objects.update(next_attempt=timezone.now())
    assert run_worker(capsys) == "0 logout deliveries attempted."  # given up, not retried


def test_a_logout_to_an_allowed_network_is_delivered(queued_logout, allowed, local_server, capsys):
    delivery = queued_logout(local_server.url("/backchannel"))

    with allowed(["127.0.0.0/8"]):
        run_worker(capsys)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_outcome) == (LogoutDelivery.Status.DELIVERED, "HTTP 200")
    (received,) = local_server.requests
    assert (received.method, received.path) == ("POST", "/backchannel")
    assert received.headers["Host"] == f"127.0.0.1:{local_server.port}"
    assert parse_qs(received.body.decode())["logout_token"][0].count(".") == 2


def test_a_logout_to_loopback_is_delivered_in_debug(queued_logout, settings, local_server, capsys):
    delivery = queued_logout(local_server.url("/backchannel"))
    settings.DEBUG = True

    run_worker(capsys)

    delivery.refresh_from_db()
    assert delivery.status == LogoutDelivery.Status.DELIVERED
    assert len(local_server.requests) == 1


# --- DNS rebinding: the address checked is the address connected to ------------------------------


@pytest.fixture
def rebinding_resolver(monkeypatch):
    """The OS resolver, except for ``rebind.example``: ``answers`` is a list of answer lists, one
    per lookup (the last repeats). Returns the list of lookups made for that name."""
    real = socket.getaddrinfo
    lookups = []
    answers = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host != "rebind.example":
            return real(host, port, family, type, proto, flags)
        addresses = answers[min(len(lookups), len(answers) - 1)]
        lookups.append(addresses)
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (address, port, 0, 0) if ":" in address else (address, port),
            )
            for address in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


def test_a_name_that_also_resolves_to_a_private_address_is_refused(
    queued_logout, local_server, rebinding_resolver, beyond_loopback, capsys
):
    answers, _lookups = rebinding_resolver
    answers.append([PUBLIC_ADDRESS, "127.0.0.1"])
    delivery = queued_logout(f"https://rebind.example:{local_server.port}/backchannel")

    run_worker(capsys)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_outcome) == (
        LogoutDelivery.Status.FAILED,
        "refused: non-public address",
    )
    assert local_server.connections == 0
    assert beyond_loopback == []  # not even the public one: the name is refused as a whole


def test_a_resolver_answering_public_then_private_never_gets_the_private_address_connected_to(
    local_server, rebinding_resolver, beyond_loopback
):
    """A check on one lookup and a connection on another would reach 127.0.0.1 here."""
    answers, lookups = rebinding_resolver
    answers.extend([[PUBLIC_ADDRESS], ["127.0.0.1"]])

    with pytest.raises(requests.ConnectionError) as error:
        outbound.request("POST", f"http://rebind.example:{local_server.port}/backchannel", deadline=2)

    assert not isinstance(error.value, outbound.RefusedAddress)  # the public address was allowed...
    assert beyond_loopback == [PUBLIC_ADDRESS]  # ...and it is the one connected to (see beyond_loopback)
    assert len(lookups) == 1  # one lookup, no second chance for the resolver
    assert local_server.connections == 0


def test_a_private_answer_after_a_public_one_is_refused_on_the_next_request(
    queued_logout, local_server, rebinding_resolver, beyond_loopback, capsys
):
    answers, _lookups = rebinding_resolver
    answers.extend([[PUBLIC_ADDRESS], ["127.0.0.1"]])
    delivery = queued_logout(f"https://rebind.example:{local_server.port}/backchannel")

    run_worker(capsys)  # the public address: unreachable here, so retried later
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (LogoutDelivery.Status.PENDING, 1)
    assert delivery.last_outcome.startswith("connection error")
    LogoutDelivery.objects.update(next_attempt=timezone.now())
    run_worker(capsys)  # now it answers 127.0.0.1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_outcome) == (
        LogoutDelivery.Status.FAILED,
        "refused: non-public address",
    )
    assert local_server.connections == 0


# --- TLS: connected by address, verified by name -------------------------------------------------


@pytest.fixture
def tls_server(tmp_path):
    """An https server for ``localhost`` (on the address the resolver gives first), and the CA to trust."""
    context, ca = tls_context_for("localhost", tmp_path)
    with LocalServer(host=first_address_of("localhost"), tls=context, body=b"{}") as server:
        yield server, ca


def test_https_to_an_allowed_address_verifies_the_certificate_against_the_hostname(allowed, tls_server):
    server, ca = tls_server
    with allowed(EVERY_LOOPBACK):
        response = outbound.request("GET", server.url("/jwks", host="localhost"), deadline=5, verify=str(ca))
    assert response.status_code == 200
    assert server.server_names == ["localhost"]  # SNI names the host, not the address
    assert server.requests[0].headers["Host"] == f"localhost:{server.port}"


def test_https_to_a_host_the_certificate_does_not_name_fails(allowed, tmp_path):
    context, ca = tls_context_for("other.example", tmp_path)
    with LocalServer(host=first_address_of("localhost"), tls=context) as server, allowed(EVERY_LOOPBACK):
        with pytest.raises(requests.exceptions.SSLError):
            outbound.request("GET", server.url("/jwks", host="localhost"), deadline=5, verify=str(ca))
        assert server.requests == []
