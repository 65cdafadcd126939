"""Third-party sign-in providers (GitHub, Google, Facebook, an OpenID Connect IdP), mocked at
their HTTP API with ``responses``: the only thing the tests ever mock."""

import json
import time
import uuid
from types import SimpleNamespace
from urllib.parse import urlsplit

import jwt
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import connection
from django.test import Client
from django.urls import reverse
from oauthlib.oauth1.rfc5849 import signature

from socialaccounts.backchannel import SESSION_KEY
from socialaccounts.models import ProviderSession, SocialAccount
from tests.factories import PASSWORD

GITHUB_KEY, GITHUB_SECRET = "gh-client-id", "gh-client-secret"
GOOGLE_KEY, GOOGLE_SECRET = "google-client-id.apps.googleusercontent.com", "google-secret"
FACEBOOK_KEY, FACEBOOK_SECRET = "1234567890", "fb-secret"
OIDC_ISSUER, OIDC_KEY, OIDC_SECRET = "https://idp.example.com", "oidc-client-id", "oidc-secret"
X_OAUTH2_KEY, X_OAUTH2_SECRET = "x-oauth2-client-id", "x-oauth2-client-secret"
X_KEY, X_SECRET = "x-consumer-key", "x-consumer-secret"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"

ALL_BACKENDS = [
    "socialaccounts.backends.GithubOAuth2",
    "socialaccounts.backends.GoogleOAuth2",
    "socialaccounts.backends.FacebookOAuth2",
    "socialaccounts.backends.OpenIdConnectAuth",
    "socialaccounts.backends.TwitterOAuth2",
    "socialaccounts.backends.TwitterOAuth",
    "django.contrib.auth.backends.ModelBackend",
]


# --- Provider mocks ----------------------------------------------------------------------------


def github(mock, *, token="gh-token", uid=101, login="octo", email="octo@example.com", verified=True):
    mock.post(
        f"https://api.github.com/applications/{GITHUB_KEY}/token",
        json={"id": 1, "token": token, "user": {"id": uid, "login": login}},
        match=[responses.matchers.json_params_matcher({"access_token": token})],
    )
    profile = {"id": uid, "login": login, "name": "Octo Cat", "email": None}
    mock.get("https://api.github.com/user", json=profile)
    mock.get(
        "https://api.github.com/user/emails", json=[{"email": email, "primary": True, "verified": verified}]
    )


def google(mock, *, sub="g-1", email="gina@example.com", verified=True, aud=GOOGLE_KEY):
    mock.get("https://oauth2.googleapis.com/tokeninfo", json={"aud": aud, "azp": aud, "sub": sub})
    mock.get(
        "https://www.googleapis.com/oauth2/v3/userinfo",
        json={"sub": sub, "email": email, "email_verified": verified, "name": "Gina"},
    )


FB = "https://graph.facebook.com/v24.0"


def facebook(mock, *, uid="f-1", app_id=FACEBOOK_KEY, valid=True, email="fay@example.com"):
    mock.get(f"{FB}/debug_token", json={"data": {"app_id": app_id, "is_valid": valid, "user_id": uid}})
    mock.get(f"{FB}/me", json={"id": uid, "name": "Fay", "email": email})


class OIDCProvider:
    """A mocked third-party OpenID Connect provider with its own signing key."""

    def __init__(self, mock):
        self.mock = mock
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        mock.get(
            f"{OIDC_ISSUER}/.well-known/openid-configuration",
            json={
                "issuer": OIDC_ISSUER,
                "authorization_endpoint": f"{OIDC_ISSUER}/authorize/",
                "token_endpoint": f"{OIDC_ISSUER}/token/",
                "userinfo_endpoint": f"{OIDC_ISSUER}/userinfo/",
                "jwks_uri": f"{OIDC_ISSUER}/jwks/",
            },
        )
        mock.get(f"{OIDC_ISSUER}/jwks/", json={"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})

    def id_token(self, sub="o-1", aud=OIDC_KEY, iss=OIDC_ISSUER, expires_in=300, key=None, **claims):
        now = int(time.time())
        payload = {"iss": iss, "sub": sub, "aud": aud, "iat": now, "exp": now + expires_in, **claims}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": "k1"})

    def access_token(self, token="o-token", sub="o-1", client_id=OIDC_KEY, active=True, email="o@x.example"):
        self.mock.post(
            f"{OIDC_ISSUER}/introspect/",
            json={"active": active, "client_id": client_id, "scope": "openid"},
            match=[responses.matchers.urlencoded_params_matcher({"token": token})],
        )
        self.mock.get(
            f"{OIDC_ISSUER}/userinfo/",
            json={"sub": sub, "preferred_username": "olga", "email": email, "email_verified": True},
            match=[responses.matchers.header_matcher({"Authorization": f"Bearer {token}"})],
        )
        return token


X_API = "https://api.twitter.com"
X_VERIFY_CREDENTIALS = f"{X_API}/1.1/account/verify_credentials.json"
X_OAUTH2_TOKEN = f"{X_API}/2/oauth2/token"
X_USERS_ME = f"{X_API}/2/users/me"
X_COULD_NOT_AUTHENTICATE = {"errors": [{"code": 32, "message": "Could not authenticate you."}]}
X_UID = 2244994945
OTHER_APP_KEY, OTHER_APP_SECRET = "another-apps-consumer-key", "another-apps-consumer-secret"


class XProvider:
    """A mocked X. verify_credentials checks the OAuth 1.0a signature as X does: the request must be
    signed with the consumer key the token was issued to, that consumer's secret and the token secret.
    """

    consumers = {X_KEY: X_SECRET, OTHER_APP_KEY: OTHER_APP_SECRET}

    def __init__(self, mock):
        self.mock = mock
        self.pairs = {}
        mock.add_callback(responses.GET, X_VERIFY_CREDENTIALS, callback=self._verify_credentials)

    def pair(self, token="2244994945-xTok", secret="xSecret", *, consumer_key=X_KEY, uid=X_UID, **profile):
        """An OAuth 1.0a token issued by X to ``consumer_key``; returns it as a client sends it."""
        self.pairs[token] = (consumer_key, secret, {"id": uid, "id_str": str(uid), **profile})
        return f"{token}:{secret}"

    def _verify_credentials(self, request):
        # requests-oauthlib sends the Authorization header as bytes.
        headers = {
            name: value.decode() if isinstance(value, bytes) else value
            for name, value in request.headers.items()
        }
        oauth = dict(signature.collect_parameters(headers=headers, exclude_oauth_signature=False))
        consumer_key, token_secret, profile = self.pairs.get(oauth.get("oauth_token"), (None, None, None))
        signed = SimpleNamespace(
            params=signature.collect_parameters(urlsplit(request.url).query, headers=headers),
            uri=request.url,
            http_method=request.method,
            signature=oauth.get("oauth_signature", ""),
        )
        if (
            profile is None
            or oauth.get("oauth_consumer_key") != consumer_key
            or not signature.verify_hmac_sha1(signed, self.consumers[consumer_key], token_secret)
        ):
            return 401, {}, json.dumps(X_COULD_NOT_AUTHENTICATE)
        body = {"screen_name": "xavier", "name": "Xavier", **profile}
        return 200, {}, json.dumps(body)

    def bearer(self, token="x-access-token", *, uid=str(X_UID), username="xavier"):
        """An OAuth 2.0 access token /2/users/me answers for."""
        self.mock.get(
            X_USERS_ME,
            json={"data": {"id": uid, "name": "Xavier", "username": username}},
            match=[responses.matchers.header_matcher({"Authorization": f"Bearer {token}"})],
        )
        return token


# --- Links as social-auth's pipeline stores them -------------------------------------------------

ID_KEYS = {
    "github": "id",
    "oidc": "sub",
    "google-oauth2": "sub",
    "facebook": "id",
    "twitter": "id",
    "twitter-oauth2": "id",
}


def link(user, provider="github", uid="101", **extra_data):
    """A link as the pipeline stores it (social-core 7 records which claim the uid came from)."""
    return SocialAccount.objects.create(
        user=user, provider=provider, uid=uid, id_key=ID_KEYS[provider], extra_data=extra_data
    )


def raw_extra_data(account):
    """A link's ``extra_data`` column as stored (ciphertext where tokens are), past the model field."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT extra_data FROM {SocialAccount._meta.db_table} WHERE id = %s", [account.pk])  # noqa: S608
        return cursor.fetchone()[0]


# --- An OpenID provider's back-channel logout ---------------------------------------------------

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def provider_browser(user, *, sid="op-sid-1", sub="o-1"):
    """A browser signed in here through the provider's session ``sid`` (as the pipeline leaves it)."""
    browser = Client()
    assert (
        browser.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    )
    session = browser.session
    session[SESSION_KEY] = {"iss": OIDC_ISSUER, "sub": sub, "sid": sid}
    session.save()
    ProviderSession.objects.create(issuer=OIDC_ISSUER, sub=sub, sid=sid, user=user)
    return browser


def logout_token(oidc, *, key=None, kid="k1", typ="logout+jwt", drop=(), **claims):
    """A logout token from the mocked OpenID provider ``oidc`` (valid unless told otherwise)."""
    now = int(time.time())
    payload = {
        "iss": OIDC_ISSUER,
        "aud": OIDC_KEY,
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
        "sub": "o-1",
        "sid": "op-sid-1",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        **claims,
    }
    for name in drop:
        payload.pop(name)
    headers = {"kid": kid, "typ": typ or ""}  # PyJWT leaves out an empty typ
    return jwt.encode(payload, key or oidc.key, algorithm="RS256", headers=headers)
