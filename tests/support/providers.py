"""Third-party sign-in providers (GitHub, Google, Facebook, an OpenID Connect IdP), mocked at
their HTTP API with ``responses``: the only thing the tests ever mock."""

import time

import jwt
import responses
from cryptography.hazmat.primitives.asymmetric import rsa

from socialaccounts.models import SocialAccount

GITHUB_KEY, GITHUB_SECRET = "gh-client-id", "gh-client-secret"
GOOGLE_KEY, GOOGLE_SECRET = "google-client-id.apps.googleusercontent.com", "google-secret"
FACEBOOK_KEY, FACEBOOK_SECRET = "1234567890", "fb-secret"
OIDC_ISSUER, OIDC_KEY, OIDC_SECRET = "https://idp.example.com", "oidc-client-id", "oidc-secret"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"

ALL_BACKENDS = [
    "socialaccounts.backends.GithubOAuth2",
    "socialaccounts.backends.GoogleOAuth2",
    "socialaccounts.backends.FacebookOAuth2",
    "socialaccounts.backends.OpenIdConnectAuth",
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


# --- Links as social-auth's pipeline stores them -------------------------------------------------

ID_KEYS = {"github": "id", "oidc": "sub", "google-oauth2": "sub", "facebook": "id"}


def link(user, provider="github", uid="101", **extra_data):
    """A link as the pipeline stores it (social-core 7 records which claim the uid came from)."""
    return SocialAccount.objects.create(
        user=user, provider=provider, uid=uid, id_key=ID_KEYS[provider], extra_data=extra_data
    )
