"""The authorization-code flow over real HTTP, each step sent to a base URL the caller chooses.

``CodeFlow(urls)`` takes one URL per step name (or one URL for all), so the same walk runs through a
load balancer or alternates between instances. Every secret it handles (password, client secret,
code, tokens, PKCE verifier) is kept in ``secrets`` so a test can grep logs for each one.
"""

import base64
import hashlib
import secrets as random
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.support.forms import post_form

REDIRECT_URI = "https://client.example.com/callback"
TIMEOUT = 15


class CodeFlow:
    """A user, their browser, and a confidential client, talking to the servers in ``urls``."""

    def __init__(self, urls: dict[str, str] | str):
        self.urls = urls
        # The browser keeps cookies; ``http`` is every other caller (API client, OAuth client).
        self.browser, self.http = requests.Session(), requests.Session()
        # The X-Request-ID of every response, in order: one log line each is expected.
        self.request_ids: list[str] = []
        for session in (self.browser, self.http):
            session.hooks["response"].append(self._seen)
        self.username = f"user-{random.token_hex(4)}"
        self.password = random.token_urlsafe(18)
        self.verifier = random.token_urlsafe(48)
        self.secrets: dict[str, str] = {"password": self.password, "code_verifier": self.verifier}

    def _seen(self, response, *args, **kwargs):
        self.request_ids.append(response.headers.get("X-Request-ID", ""))

    def url(self, step: str) -> str:
        return self.urls if isinstance(self.urls, str) else self.urls[step]

    def sign_up(self):
        response = self.http.post(
            f"{self.url('sign_up')}/api/users",
            json={
                "username": self.username,
                "email": f"{self.username}@example.com",
                "password": self.password,
            },
            timeout=TIMEOUT,
        )
        assert response.status_code == 201, response.text
        return response

    def register_client(self):
        """The user registers a confidential client over the API with HTTP Basic."""
        response = self.http.post(
            f"{self.url('register_client')}/api/clients",
            json={
                "client_name": "Log test client",
                "redirect_uris": [REDIRECT_URI],
                "grant_types": ["authorization_code", "refresh_token"],
                "scope": "openid profile beers:read",
            },
            auth=(self.username, self.password),
            timeout=TIMEOUT,
        )
        assert response.status_code == 201, response.text
        self.client_id = response.json()["client_id"]
        self.secrets["client_secret"] = self.client_secret = response.json()["client_secret"]
        return response

    def sign_in(self, password=None):
        base = self.url("sign_in")
        page = self.browser.get(f"{base}/accounts/login/", timeout=TIMEOUT)
        assert page.status_code == 200
        return post_form(
            self.browser,
            page,
            "username",
            timeout=TIMEOUT,
            username=self.username,
            password=password or self.password,
        )

    def consent(self):
        """Open the authorize URL signed in, press Allow; returns the code from the redirect."""
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        )
        self.state = random.token_urlsafe(16)
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile beers:read",
            "state": self.state,
            "nonce": random.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        page = self.browser.get(
            f"{self.url('consent')}/api/oauth2/authorize?{urlencode(query)}",
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert page.status_code == 200, page.text[:500]
        answer = post_form(self.browser, page, "redirect_uri", timeout=TIMEOUT, allow="Allow")
        assert answer.status_code == 303, answer.text[:500]
        params = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert params["state"] == [self.state]
        self.secrets["code"] = code = params["code"][0]
        return code

    def token(self, step, **data):
        return self.http.post(
            f"{self.url(step)}/api/oauth2/token",
            data=data,
            auth=(self.client_id, self.client_secret),
            timeout=TIMEOUT,
        )

    def redeem(self, code):
        response = self.token(
            "redeem",
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT_URI,
            code_verifier=self.verifier,
        )
        assert response.status_code == 200, response.text
        self._keep(response.json())
        return response.json()

    def refresh(self):
        response = self.token("refresh", grant_type="refresh_token", refresh_token=self.refresh_token)
        assert response.status_code == 200, response.text
        self._keep(response.json())
        return response.json()

    def _keep(self, tokens):
        self.access_token, self.refresh_token = tokens["access_token"], tokens["refresh_token"]
        for name in ("access_token", "refresh_token", "id_token"):
            if name in tokens:
                self.secrets[f"{name}_{len(self.secrets)}"] = tokens[name]

    def api(self, step="api", token=None):
        return self.http.get(
            f"{self.url(step)}/api/beers",
            headers={"Authorization": f"Bearer {token or self.access_token}"},
            timeout=TIMEOUT,
        )

    def revoke(self, token):
        response = self.http.post(
            f"{self.url('revoke')}/api/oauth2/revoke_token",
            data={"token": token, "token_type_hint": "access_token"},
            auth=(self.client_id, self.client_secret),
            timeout=TIMEOUT,
        )
        assert response.status_code == 200, response.text
        return response

    def introspect(self, token):
        """RFC 7662 as the client (which an administrator allowed to introspect)."""
        response = self.http.post(
            f"{self.url('introspect')}/api/oauth2/introspect",
            data={"token": token},
            auth=(self.client_id, self.client_secret),
            timeout=TIMEOUT,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def basic_call(self):
        """The API with the user's password (HTTP Basic)."""
        return self.http.get(
            f"{self.url('api')}/api/users/me", auth=(self.username, self.password), timeout=TIMEOUT
        )
