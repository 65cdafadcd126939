"""A small OAuth 2.0 client web app for the browser journeys: authorization code + PKCE (S256).

It runs on its own loopback port, as a real third-party app would: ``/login`` sends the browser to
Beer Locker's consent page, ``/callback`` checks ``state``, swaps the code for a token from its
server side (HTTP Basic with its secret) and calls the API with that token.
"""

import html
import json
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.http import basic_auth_header
from tests.support.oauth import pkce_pair

PAGE = "<!doctype html><title>Test client</title><h1>Test client</h1><p id='result'>{result}</p>"


class OAuthTestClient:
    def __init__(self, server_url, scope="beers:read beers:write profile", response_mode=None):
        self.server_url = server_url.rstrip("/")
        self.scope = scope
        self.response_mode = response_mode  # None: the response type's default (query)
        self.client_id = self.client_secret = None
        self.pending = {}  # state -> code_verifier
        self.token = None
        self.callbacks = []  # the query of every callback, as received
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"
        self.redirect_uri = f"{self.url}/callback"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()

    def authorize_url(self):
        state = secrets.token_urlsafe(16)
        verifier, challenge = pkce_pair()
        self.pending[state] = verifier
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if self.response_mode:
            query["response_mode"] = self.response_mode
        return f"{self.server_url}/api/oauth2/authorize/?{urllib.parse.urlencode(query)}"

    def _post_token(self, form):
        request = urllib.request.Request(  # noqa: S310 - our own live server on loopback
            f"{self.server_url}/api/oauth2/token/",
            data=urllib.parse.urlencode(form).encode(),
            headers={
                "Authorization": basic_auth_header(self.client_id, self.client_secret),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.load(response)

    def api_status(self, path="/api/beers", token=None):
        """The status of a GET on the API with the client's bearer token."""
        request = urllib.request.Request(  # noqa: S310
            f"{self.server_url}{path}", headers={"Authorization": f"Bearer {token or self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def _callback(self, query):
        self.callbacks.append(query)
        verifier = self.pending.pop(query.get("state", ""), None)
        if verifier is None:
            return 400, "Unknown state: refused."
        if "error" in query:
            return 200, f"Beer Locker said no: {query['error']}"
        grant = {
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier,
        }
        self.token = self._post_token(grant)["access_token"]
        return 200, f"Signed in with Beer Locker. API answered {self.api_status()}."

    def _handler(self):
        client = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - response_mode=form_post delivers the callback by POST
                url = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                status, text = client._callback(form) if url.path == "/callback" else (404, "Not found")
                self._page(status, text)

            def _page(self, status, text):
                body = PAGE.format(result=html.escape(text))
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body.encode())

            def do_GET(self):  # noqa: N802 - http.server's name
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/login":
                    self.send_response(302)
                    self.send_header("Location", client.authorize_url())
                    self.end_headers()
                    return
                if url.path == "/callback":
                    query = dict(urllib.parse.parse_qsl(url.query))
                    status, text = client._callback(query)
                else:
                    status, text = 404, "Not found"
                self._page(status, text)

            def log_message(self, *args):
                pass  # keep the test output quiet

        return Handler
