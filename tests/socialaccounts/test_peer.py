"""End to end with a real peer, no mocks: a second Beer Locker server process is the OIDC provider.

The peer runs ``manage.py runserver --noreload`` on its own port of 127.0.0.1 with its own SQLite
file, signing key and cookie names; this Beer Locker runs as pytest-django's ``live_server``. Every
request between them, and from the "browser" (a requests.Session following redirects the way a
browser does), is real HTTP.
"""

import base64
import hashlib
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from oauth2_provider.generators import generate_client_secret

from oauthclients.keys import generate_rsa_private_key_pem
from socialaccounts.models import ProviderSession, SocialAccount
from tests.factories import PASSWORD, UserFactory
from tests.support.forms import post_form
from tests.support.providers import ACCESS_TOKEN_TYPE, EXCHANGE, ID_TOKEN_TYPE

# Slow (a peer Beer Locker in a subprocess and this one on a live server): skipped by make test-fast.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
PEER_USER, PEER_PASSWORD = "peer-alice", "peer alice's long passphrase"
PEER_CLIENT_ID = "beerlocker-under-test"
PEER_CLIENT_SECRET = generate_client_secret()
LOCAL_HOST = "127.0.0.1"


def free_port():
    with socket.socket() as sock:
        sock.bind((LOCAL_HOST, 0))
        return sock.getsockname()[1]


class Peer:
    """A second Beer Locker process; ``manage()`` runs a management command against its database."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"http://{LOCAL_HOST}:{self.port}"
        self.issuer = f"{self.url}/api/oauth2"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "beerlocker.settings",
            "DATABASE_URL": f"sqlite:///{workdir / 'peer.sqlite3'}",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": LOCAL_HOST,
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SESSION_COOKIE_NAME": "peer_sessionid",
            "DJANGO_CSRF_COOKIE_NAME": "peer_csrftoken",
            "OIDC_RSA_PRIVATE_KEY": generate_rsa_private_key_pem(),
            "OIDC_ISSUER": self.issuer,
            # Its logout worker POSTs to us on 127.0.0.1: an address a production server refuses
            # unless its operator allows it, as here.
            "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8",
        }
        self.process = None

    def manage(self, *args) -> str:
        """Run a management command against the peer's database; returns its standard output."""
        return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def start(self, redirect_uri, backchannel_logout_uri=""):
        self.manage("migrate", "--noinput")
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            "from oauthclients.models import Client\n"
            f"owner = get_user_model().objects.create_user({PEER_USER!r}, 'a@peer.test', {PEER_PASSWORD!r})\n"
            "Client.objects.create(user=owner, name='Beer Locker under test',"
            f" client_id={PEER_CLIENT_ID!r}, client_secret={PEER_CLIENT_SECRET!r},"
            " client_type='confidential', authorization_grant_type='authorization-code',"
            " grant_types=['authorization_code', 'refresh_token'], algorithm='RS256',"
            f" redirect_uris={redirect_uri!r}, allow_introspection=True, scope='openid profile email',"
            f" backchannel_logout_uri={backchannel_logout_uri!r})\n",
        )
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runserver", "--noreload", f"{LOCAL_HOST}:{self.port}"],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError("the peer Beer Locker did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def peer_authorize(session, authorize_url, ours):
    """Sign in at the peer and allow the request: a browser's walk; returns the redirect back to us."""
    response = session.get(authorize_url, allow_redirects=False, timeout=10)
    for _ in range(6):
        location = response.headers.get("Location", "")
        if response.status_code in (302, 303) and location.startswith(ours):
            return location
        if response.status_code in (302, 303):
            response = session.get(urljoin(response.url, location), allow_redirects=False, timeout=10)
        elif "/accounts/login" in response.url:
            response = post_form(session, response, "username", username=PEER_USER, password=PEER_PASSWORD)
        else:
            assert response.status_code == 200, (response.url, response.text[:300])
            response = post_form(session, response, "redirect_uri", allow="Allow")
    raise AssertionError(f"the peer never sent the browser back: {response.status_code} {response.url}")


@pytest.fixture(scope="module")
def peer_process(tmp_path_factory):
    peer = Peer(tmp_path_factory.mktemp("peer"))
    yield peer
    peer.stop()


@pytest.fixture
def ours(live_server, settings):
    return live_server.url.replace("localhost", LOCAL_HOST)


@pytest.fixture
def peer(peer_process, ours, settings):
    if peer_process.process is None:
        peer_process.start(
            redirect_uri=f"{ours}/social/complete/oidc/",
            backchannel_logout_uri=f"{ours}/social/backchannel-logout/oidc/",
        )
    settings.ALLOWED_HOSTS = [LOCAL_HOST, "localhost"]
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = peer_process.issuer
    settings.SOCIAL_AUTH_OIDC_KEY, settings.SOCIAL_AUTH_OIDC_SECRET = PEER_CLIENT_ID, PEER_CLIENT_SECRET
    # No SOCIAL_AUTH_OIDC_INTROSPECTION_URL: the peer's discovery document names its endpoint.
    settings.SOCIAL_AUTH_OIDC_INTROSPECTION_URL = ""
    return peer_process


def browser_sign_in_with_peer(session, ours, next_url=None):
    """Press "Sign in with …" on our page and walk through the peer; returns our callback's response."""
    page = session.get(f"{ours}/accounts/login/", timeout=10)
    assert page.status_code == 200
    data = {"csrfmiddlewaretoken": session.cookies["csrftoken"], **({"next": next_url} if next_url else {})}
    start = session.post(f"{ours}/social/login/oidc/", data=data, allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    params = parse_qs(urlsplit(start.headers["Location"]).query)
    assert params["code_challenge_method"] == ["S256"] and params["nonce"] and params["state"]
    callback = peer_authorize(session, start.headers["Location"], ours)
    return session.get(callback, allow_redirects=False, timeout=30)


def spa_tokens(ours, peer):
    """What a single-page app holds after running the peer's code flow itself (with PKCE)."""
    session = requests.Session()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = f"{ours}/social/complete/oidc/"
    query = {
        "response_type": "code",
        "client_id": PEER_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    callback = peer_authorize(session, f"{peer.issuer}/authorize?{urlencode(query)}", ours)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    response = requests.post(
        f"{peer.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(PEER_CLIENT_ID, PEER_CLIENT_SECRET),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def exchange_over_http(ours, client, subject_token, token_type):
    """A token exchange at our live server, as ``client`` (the ``exchange_client`` fixture)."""
    return requests.post(
        f"{ours}/api/oauth2/token",
        data={
            "grant_type": EXCHANGE,
            "subject_token": subject_token,
            "subject_token_type": token_type,
            "subject_issuer": "oidc",
        },
        auth=(client.client_id, client.raw_secret),
        timeout=30,
    )


# --- (a) token exchange of the peer's access token and of its ID token --------------------------


def test_exchange_a_peer_access_token_and_id_token(peer, ours, exchange_client):
    tokens = spa_tokens(ours, peer)

    by_access_token = exchange_over_http(ours, exchange_client, tokens["access_token"], ACCESS_TOKEN_TYPE)
    assert by_access_token.status_code == 200, by_access_token.text
    assert by_access_token.json()["issued_token_type"] == ACCESS_TOKEN_TYPE
    account = SocialAccount.objects.get(provider="oidc")
    assert account.user.username == PEER_USER

    by_id_token = exchange_over_http(ours, exchange_client, tokens["id_token"], ID_TOKEN_TYPE)
    assert by_id_token.status_code == 200, by_id_token.text
    # Same peer account, same local user: no second user, no second link.
    assert SocialAccount.objects.get(provider="oidc") == account
    # Our token works on our API as that user.
    bearer = {"Authorization": f"Bearer {by_id_token.json()['access_token']}"}
    me = requests.get(f"{ours}/api/beers", headers=bearer, timeout=10)
    assert me.status_code == 200


def test_exchange_refuses_a_forged_peer_token(peer, ours, exchange_client):
    before = get_user_model().objects.count()
    response = exchange_over_http(ours, exchange_client, "not-a-peer-token", ACCESS_TOKEN_TYPE)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert get_user_model().objects.count() == before
    assert not SocialAccount.objects.exists()


# --- (b) browser sign-in through real redirects, consent and callback ----------------------------


def test_browser_sign_in_through_the_peer(peer, ours):
    session = requests.Session()
    callback = browser_sign_in_with_peer(session, ours)

    assert callback.status_code == 302, callback.text
    me = session.get(f"{ours}/api/users/me", timeout=10)
    assert me.status_code == 200
    assert me.json()["username"] == PEER_USER
    account = SocialAccount.objects.get(provider="oidc")
    assert account.user.username == PEER_USER
    assert account.extra_data["access_token"]  # kept server side, encrypted at rest
    assert account.extra_data["access_token"] not in callback.text


# --- (c) connect the peer account to an existing local user -----------------------------------


def test_connect_the_peer_account_to_a_signed_in_user(peer, ours):
    local = UserFactory(username="local-bob")
    session = requests.Session()
    page = session.get(f"{ours}/accounts/login/", timeout=10)
    signed_in = post_form(session, page, "username", username=local.username, password=PASSWORD)
    assert signed_in.status_code == 302

    callback = browser_sign_in_with_peer(session, ours, next_url="/account/connections")

    assert callback.status_code == 302
    assert callback.headers["Location"] == "/account/connections"
    assert session.get(f"{ours}/api/users/me", timeout=10).json()["username"] == "local-bob"
    assert SocialAccount.objects.get(provider="oidc").user == local


# --- (d) call the provider's API with the stored token ----------------------------------------


def refresh_profile(session, ours, account):
    """Press "refresh" on the linked account as the signed-in browser ``session`` (CSRF and all)."""
    return session.post(
        f"{ours}/api/me/social-accounts/{account.pk}/refresh",
        headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{ours}/"},
        timeout=30,
    )


def test_refresh_profile_calls_the_peer_with_the_stored_token(peer, ours):
    session = requests.Session()
    assert browser_sign_in_with_peer(session, ours).status_code == 302
    account = SocialAccount.objects.get(provider="oidc")
    account.extra_data["profile"] = {"username": "stale"}
    account.save()

    response = refresh_profile(session, ours, account)

    assert response.status_code == 200, response.text
    assert response.json()["profile"]["username"] == PEER_USER
    account.refresh_from_db()
    assert account.extra_data["profile"]["username"] == PEER_USER


def test_an_expired_stored_token_is_renewed_at_the_peer(peer, ours):
    session = requests.Session()
    assert browser_sign_in_with_peer(session, ours).status_code == 302
    account = SocialAccount.objects.get(provider="oidc")
    old_access, old_refresh = account.extra_data["access_token"], account.extra_data["refresh_token"]
    account.extra_data["auth_time"] = int(time.time()) - 7200  # issued two hours ago, for an hour
    account.extra_data["expires_in"] = 3600
    account.save()

    response = refresh_profile(session, ours, account)

    assert response.status_code == 200, response.text
    account.refresh_from_db()
    assert account.extra_data["access_token"] != old_access
    # The peer rotates refresh tokens; the new one is what we keep.
    assert account.extra_data["refresh_token"] != old_refresh
    assert account.extra_data["profile"]["username"] == PEER_USER


# --- (e) back-channel logout: signing out at the peer signs the person out here ---------------


def test_signing_out_at_the_peer_signs_out_here_once_the_peers_worker_runs(peer, ours):
    session = requests.Session()
    assert browser_sign_in_with_peer(session, ours).status_code == 302
    assert session.get(f"{ours}/api/users/me", timeout=10).status_code == 200
    remembered = ProviderSession.objects.get()
    assert (remembered.issuer, remembered.sub, remembered.user.username) == (
        peer.issuer,
        remembered.sub,
        PEER_USER,
    )
    assert remembered.sid  # the peer's ID token named its session

    # Sign out at the peer, as the person would in that tab: its page's form, its CSRF cookie.
    signed_out = session.post(
        f"{peer.url}/accounts/logout/",
        data={"csrfmiddlewaretoken": session.cookies["peer_csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_out.status_code == 302, signed_out.text[:300]
    # Nothing reached us during the peer's sign-out: the logout token waits in the peer's outbox.
    assert session.get(f"{ours}/api/users/me", timeout=10).status_code == 200

    assert peer.manage("logoutworker", "--once").strip() == "1 logout deliveries attempted."

    assert session.get(f"{ours}/api/users/me", timeout=10).status_code in (401, 403)
    assert not ProviderSession.objects.exists()
    outcome = peer.manage(
        "shell",
        "-c",
        "from oauthclients.models import LogoutDelivery\n"
        "d = LogoutDelivery.objects.get()\n"
        "print(d.status, d.attempts, d.last_outcome)\n",
    )
    assert outcome.strip().splitlines()[-1] == "delivered 1 HTTP 200"


def test_a_forged_logout_token_is_refused_with_400(peer, ours):
    session = requests.Session()
    assert browser_sign_in_with_peer(session, ours).status_code == 302
    forged = requests.post(
        f"{ours}/social/backchannel-logout/oidc/", data={"logout_token": "e30.e30.c2ln"}, timeout=10
    )
    assert forged.status_code == 400
    assert forged.json()["error"] == "invalid_request"
    assert session.get(f"{ours}/api/users/me", timeout=10).status_code == 200
