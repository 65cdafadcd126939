"""Client ID Metadata Documents (issue 22 §4): a client whose client_id is the https URL of its
metadata, fetched by the server through oauthclients.outbound.

The documents are served by a real https server on loopback (``LocalServer`` with a certificate
for ``localhost`` from a test CA): the server trusts that CA through ``OUTBOUND_CA_BUNDLE`` and
may reach loopback through ``OUTBOUND_ALLOWED_NETWORKS``, as an operator would for clients on a
private network. No http client_id is ever accepted."""

import io
import json
import socket
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model
from rest_framework.test import APIClient
from urllib3.util.connection import allowed_gai_family

from oauthclients import services
from oauthclients.models import Client
from oauthclients.oauth2.clientauth import cimd
from oauthclients.validation import validate_metadata_document
from tests.factories import REDIRECT_URI
from tests.support.drip_server import DripServer
from tests.support.local_server import LocalServer, tls_context_for
from tests.support.oauth import TOKEN, authorize_url, consent, exchange_code, mint_tokens, pkce_pair, query

EVERY_LOOPBACK = ["127.0.0.0/8", "::1/128"]
DEADLINE = 2.0
MARGIN = 1.0
METADATA_DISCOVERY = "/.well-known/oauth-authorization-server/api/oauth2"
OIDC_DISCOVERY = "/api/oauth2/.well-known/openid-configuration"


def first_address_of(hostname):
    """The address the server connects to for ``hostname`` (its resolver's first answer)."""
    return socket.getaddrinfo(hostname, 443, family=allowed_gai_family(), type=socket.SOCK_STREAM)[0][4][0]


def document(url, **members):
    """A valid metadata document for the client known by ``url``."""
    return {
        "client_id": url,
        "client_name": "Beer Butler",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none",
        "scope": "beers:read",
        **members,
    }


@pytest.fixture
def cimd_on(settings, tmp_path):
    """CIMD switched on, loopback reachable, the test CA trusted; returns the CA's path."""
    context, ca = tls_context_for("localhost", tmp_path)
    settings.OAUTHCLIENTS = {
        **settings.OAUTHCLIENTS,
        "CIMD_ENABLED": True,
        "OUTBOUND_ALLOWED_NETWORKS": EVERY_LOOPBACK,
        "OUTBOUND_CA_BUNDLE": str(ca),
        "OUTBOUND_DEADLINE_SECONDS": DEADLINE,
    }
    return context


@pytest.fixture
def host(cimd_on):
    """The https host publishing the client's document at ``host.client_id``."""
    with LocalServer(
        host=first_address_of("localhost"),
        tls=cimd_on,
        headers={"Content-Type": "application/json", "Cache-Control": "max-age=3600"},
    ) as server:
        server.client_id = server.url("/clients/butler.json", host="localhost")
        server.body = json.dumps(document(server.client_id)).encode()
        yield server


def client_of(url):
    return SimpleNamespace(client_id=url)


def assert_refused_without_redirect(response):
    assert response.status_code == 400, response.content
    assert not response.has_header("Location")
    assert b"This authorization request cannot be completed" in response.content


# --- The flow -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_client_known_by_its_document_gets_tokens_with_pkce(host, signed_in, api_client, user):
    verifier, challenge = pkce_pair()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}

    page = signed_in.get(authorize_url(client_of(host.client_id), scope="beers:read", **pkce))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'<strong class="consent-client-host">localhost:{host.port}</strong>' in html
    assert "This application says it is <strong>Beer Butler</strong>" in html

    location = consent(signed_in, client_of(host.client_id), scope="beers:read", **pkce)
    code = query(location)["code"]
    tokens = exchange_code(api_client, client_of(host.client_id), None, code, code_verifier=verifier)
    assert tokens.status_code == 200, tokens.content
    assert tokens.json()["scope"] == "beers:read"
    refreshed = api_client.post(
        TOKEN,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens.json()["refresh_token"],
            "client_id": host.client_id,
        },
    )
    assert refreshed.status_code == 200, refreshed.content

    client = Client.objects.get(client_id=host.client_id)
    assert (client.registration_source, client.user, client.name) == ("cimd", None, "Beer Butler")
    assert client.token_endpoint_auth_method == "none"
    assert client.redirect_uris == REDIRECT_URI
    # Cache-Control max-age=3600: used for an hour, so fetched once for the whole flow.
    expected = timezone.now() + timedelta(seconds=3600)
    assert abs((client.cimd_expires_at - expected).total_seconds()) < 60
    assert len(host.requests) == 1
    assert host.requests[0].headers["Host"] == f"localhost:{host.port}"
    assert get_access_token_model().objects.filter(application=client, user=user).count() == 1


@pytest.mark.django_db
def test_a_client_known_by_its_document_must_use_pkce(host, signed_in):
    response = signed_in.get(authorize_url(client_of(host.client_id), scope="beers:read"))
    assert response.status_code == 302
    assert query(response["Location"])["error"] == "invalid_request"
    assert not get_grant_model().objects.exists()


@pytest.mark.django_db
def test_an_expired_document_is_fetched_again_and_its_changes_apply(host, signed_in):
    _verifier, challenge = pkce_pair()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256", "scope": "beers:read"}
    assert signed_in.get(authorize_url(client_of(host.client_id), **pkce)).status_code == 200
    Client.objects.filter(client_id=host.client_id).update(
        cimd_expires_at=timezone.now() - timedelta(seconds=1)
    )
    host.body = json.dumps(document(host.client_id, client_name="Beer Butler 2")).encode()
    host.headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}

    page = signed_in.get(authorize_url(client_of(host.client_id), **pkce))

    assert "This application says it is <strong>Beer Butler 2</strong>" in page.content.decode()
    client = Client.objects.get(client_id=host.client_id)
    assert client.name == "Beer Butler 2"
    # no-store: the shortest use the server allows (CIMD_MIN_CACHE_SECONDS, 5 minutes).
    assert timedelta(seconds=240) < client.cimd_expires_at - timezone.now() <= timedelta(seconds=300)
    assert len(host.requests) == 2


# --- Refused documents --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_document_naming_another_client_id_is_refused(host, signed_in):
    host.body = json.dumps(document("https://localhost/someone-else.json")).encode()
    _verifier, challenge = pkce_pair()

    response = signed_in.get(
        authorize_url(client_of(host.client_id), code_challenge=challenge, code_challenge_method="S256")
    )

    assert_refused_without_redirect(response)
    assert not Client.objects.exists()
    # Remembered as refused: the next request does not fetch it again.
    assert_refused_without_redirect(signed_in.get(authorize_url(client_of(host.client_id))))
    assert len(host.requests) == 1


@pytest.mark.django_db
def test_a_redirect_uri_not_in_the_document_is_refused_without_redirect(host, signed_in):
    _verifier, challenge = pkce_pair()
    response = signed_in.get(
        authorize_url(
            client_of(host.client_id),
            redirect_uri="https://evil.example.com/callback",
            code_challenge=challenge,
            code_challenge_method="S256",
        )
    )
    assert_refused_without_redirect(response)
    assert not get_grant_model().objects.exists()


@pytest.mark.django_db
def test_a_document_larger_than_the_cap_is_refused(host, signed_in):
    host.body = json.dumps(document(host.client_id, padding="x" * (cimd.MAX_DOCUMENT_BYTES + 1))).encode()
    assert_refused_without_redirect(signed_in.get(authorize_url(client_of(host.client_id))))
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_a_document_that_is_not_json_is_refused(host, signed_in):
    host.headers = {"Content-Type": "text/html"}
    assert_refused_without_redirect(signed_in.get(authorize_url(client_of(host.client_id))))
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_a_slow_document_host_is_cut_off_at_the_deadline_and_not_asked_again(cimd_on, signed_in):
    # The drip server never finishes its TLS handshake, one byte a second.
    with DripServer(stage="tls") as server:
        client_id = server.url("/client.json", scheme="https")
        started = time.monotonic()
        first = signed_in.get(authorize_url(client_of(client_id)))
        elapsed = time.monotonic() - started
        started = time.monotonic()
        second = signed_in.get(authorize_url(client_of(client_id)))
        again = time.monotonic() - started

    assert_refused_without_redirect(first)
    assert DEADLINE - 0.1 <= elapsed <= DEADLINE + MARGIN, elapsed
    assert_refused_without_redirect(second)
    assert again < 0.5, again
    assert server.connections == 1
    assert not Client.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hosts",
    [
        {"CIMD_DENIED_HOSTS": ["localhost"]},
        {"CIMD_DENIED_HOSTS": [".localhost", "localhost"]},
        {"CIMD_ALLOWED_HOSTS": ["clients.example.com"]},
    ],
)
def test_a_host_the_operator_does_not_allow_is_refused_without_a_fetch(host, signed_in, settings, hosts):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, **hosts}
    assert_refused_without_redirect(signed_in.get(authorize_url(client_of(host.client_id))))
    assert host.connections == 0
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_switched_off_the_client_id_is_an_invalid_client_even_once_registered(host, settings, api_client):
    verifier, challenge = pkce_pair()
    metadata = validate_metadata_document(document(host.client_id), url=host.client_id)
    services.client_register_from_document(
        client_id=host.client_id, metadata=metadata, expires=timezone.now() + timedelta(hours=1)
    )
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "CIMD_ENABLED": False}

    response = exchange_code(api_client, client_of(host.client_id), None, "any-code", code_verifier=verifier)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert host.connections == 0


@pytest.mark.django_db
def test_a_denied_host_stops_a_registered_client_at_once(host, settings, signed_in):
    metadata = validate_metadata_document(document(host.client_id), url=host.client_id)
    services.client_register_from_document(
        client_id=host.client_id, metadata=metadata, expires=timezone.now() + timedelta(hours=1)
    )
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "CIMD_DENIED_HOSTS": ["localhost"]}
    assert_refused_without_redirect(signed_in.get(authorize_url(client_of(host.client_id))))


@pytest.mark.django_db
@pytest.mark.parametrize("path", [METADATA_DISCOVERY, OIDC_DISCOVERY])
def test_discovery_says_whether_metadata_documents_are_supported(api_client, settings, path):
    assert api_client.get(path).json()["client_id_metadata_document_supported"] is False
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "CIMD_ENABLED": True}
    assert api_client.get(path).json()["client_id_metadata_document_supported"] is True


# --- Such clients belong to nobody --------------------------------------------------------------


@pytest.mark.django_db
def test_a_client_known_by_its_document_is_in_no_users_api_and_read_only_in_the_admin(
    host, admin_client, admin_user
):
    metadata = validate_metadata_document(document(host.client_id), url=host.client_id)
    client = services.client_register_from_document(
        client_id=host.client_id, metadata=metadata, expires=timezone.now() + timedelta(hours=1)
    )
    api = APIClient()
    api.force_authenticate(admin_user)

    assert api.get("/api/clients").json()["results"] == []
    listing = admin_client.get("/admin/oauthclients/client/").content.decode()
    assert "Client ID Metadata Document" in listing
    change = f"/admin/oauthclients/client/{client.pk}/change/"
    assert admin_client.get(change).status_code == 200  # shown
    response = admin_client.post(change, {"name": "Renamed", "redirect_uris": "https://x.example.com/cb"})
    assert response.status_code == 403
    assert Client.objects.get(pk=client.pk).name == "Beer Butler"


# --- The document's rules (no HTTP) -------------------------------------------------------------

URL = "https://clients.example.com/butler.json"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"client_id": "https://clients.example.com/other.json"}, "client_id"),
        ({"client_secret": "s3cret"}, "client_secret"),
        ({"token_endpoint_auth_method": "client_secret_basic"}, "token_endpoint_auth_method"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "token_endpoint_auth_method"),  # no keys
        ({"redirect_uris": []}, "redirect_uris"),
        ({"redirect_uris": ["https://x.example.com/*"]}, "redirect_uris"),
        ({"grant_types": ["authorization_code", "client_credentials"]}, "grant_types"),
        ({"response_types": ["token"]}, "response_types"),
        ({"scope": "no-such-scope"}, "scope"),
    ],
)
def test_a_document_is_held_to_the_registration_rules(db, changes, field):
    with pytest.raises(ValidationError) as refused:
        validate_metadata_document(document(URL, **changes), url=URL)
    assert field in refused.value.message_dict


def test_a_minimal_document_is_a_public_code_client_named_after_its_host(db):
    cleaned = validate_metadata_document({"client_id": URL, "redirect_uris": [REDIRECT_URI]}, url=URL)
    assert cleaned["client_name"] == "clients.example.com"
    assert cleaned["token_endpoint_auth_method"] == "none"
    assert cleaned["grant_types"] == ["authorization_code"]
    assert cleaned["backchannel_logout_uri"] == ""


@pytest.mark.parametrize(
    "client_id",
    [
        "http://clients.example.com/butler.json",
        "https://clients.example.com",
        "https://clients.example.com/",
        "https://user@clients.example.com/butler.json",
        "https://clients.example.com/a/../butler.json",
        "https://clients.example.com/butler.json#frag",
        "https://clients.example.com/" + "x" * 300,
    ],
)
@pytest.mark.django_db
def test_a_client_id_that_is_not_a_document_url_is_refused_without_a_fetch(cimd_on, signed_in, client_id):
    response = signed_in.get(authorize_url(client_of(client_id)))
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("cache_control", "seconds"),
    [
        ("", 300),
        ("max-age=60", 300),
        ("public, max-age=3600", 3600),
        ("max-age=999999", 86400),
        ("no-store, max-age=3600", 300),
        ("no-cache", 300),
        ("s-maxage=3600", 300),
    ],
)
def test_a_document_is_used_as_long_as_its_cache_headers_say_within_bounds(cache_control, seconds):
    assert cimd.cache_seconds(cache_control) == seconds


@pytest.mark.django_db
def test_dots_clearcimdapplications_deletes_expired_clients_without_tokens(user):
    url = "https://clients.example.com/stale.json"
    metadata = validate_metadata_document(document(url), url=url)
    stale = services.client_register_from_document(
        client_id=url, metadata=metadata, expires=timezone.now() - timedelta(days=1)
    )
    kept = services.client_register_from_document(
        client_id=URL,
        metadata=validate_metadata_document(document(URL), url=URL),
        expires=stale.cimd_expires_at,
    )
    mint_tokens(user, application=kept, scope="beers:read")

    call_command("clearcimdapplications", stdout=io.StringIO())

    assert list(Client.objects.values_list("client_id", flat=True)) == [URL]


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_uses_of_one_document_register_one_client_and_refuse_neither():
    """Two requests registering the same URL at once: both get the client, one row exists."""
    import threading
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from oauthclients import services
    from oauthclients.models import Client

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's concurrent transactions")
    url = "https://clients.example/app.json"
    from oauthclients.validation import validate_metadata_document

    document = {"client_id": url, "client_name": "Racer", "redirect_uris": ["https://clients.example/cb"]}
    metadata = validate_metadata_document(document, url=url)
    barrier = threading.Barrier(2)
    results, failures = [], []

    def register():
        try:
            barrier.wait(timeout=10)
            results.append(
                services.client_register_from_document(
                    client_id=url, metadata=metadata, expires=timezone.now() + timedelta(hours=1)
                ).client_id
            )
        except Exception as error:  # noqa: BLE001 - any failure is the test's finding
            failures.append(repr(error))
        finally:
            connection.close()

    for _round in range(10):
        Client.objects.filter(client_id=url).delete()
        results.clear()
        threads = [threading.Thread(target=register) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert failures == []
        assert results == [url, url]
        assert Client.objects.filter(client_id=url).count() == 1
