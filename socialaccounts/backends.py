"""social-core backends that can also verify a token a client obtained itself (RFC 8693 exchange).

Each backend adds ``exchange_access_token()`` (and the OIDC one ``exchange_id_token()``), which
first proves the token was issued to *our* application at the provider (the audience check), then
runs the normal social-auth pipeline. ``email_is_verified()`` says whether the provider vouches for
the e-mail address, the only case in which an e-mail may link accounts.
"""

import hashlib
import hmac
import ipaddress
from urllib.parse import quote, urlsplit

import jwt
from django.core.cache import cache
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth1
from social_core.backends.facebook import API_VERSION
from social_core.backends.facebook import FacebookOAuth2 as _FacebookOAuth2
from social_core.backends.github import GithubOAuth2 as _GithubOAuth2
from social_core.backends.google import GoogleOAuth2 as _GoogleOAuth2
from social_core.backends.open_id_connect import OpenIdConnectAuth as _OpenIdConnectAuth
from social_core.backends.twitter import TwitterOAuth as _TwitterOAuth
from social_core.backends.twitter_oauth2 import TwitterOAuth2 as _TwitterOAuth2
from social_core.exceptions import (
    AuthConfigurationError,
    AuthCredentialError,
    AuthInputError,
    AuthResponseError,
)

from socialaccounts import conf


def _wrong_audience(backend):
    return AuthResponseError(
        backend,
        "Token issued to another application",
        claim="aud",
        code="invalid_claim",
        stage="token_validation",
    )


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TokenExchangeMixin:
    """Verify a provider token sent by a client, then sign in or link through the pipeline."""

    def check_access_token_audience(self, access_token):
        """Raise unless the provider confirms ``access_token`` was issued to our application."""
        raise NotImplementedError

    def get_json_object(self, url, **kwargs):
        """``get_json`` for an answer that must be a JSON object; anything else is malformed."""
        data = self.get_json(url, **kwargs)
        if not isinstance(data, dict):
            # Valid JSON of the wrong shape would otherwise fail on .get() as a 500.
            raise AuthResponseError(self, code="malformed_response", stage=kwargs.get("stage", "unknown"))
        return data

    def exchange_access_token(self, access_token, user=None):
        """The local user for a provider access token issued to our application."""
        self.check_access_token_audience(access_token)
        return self.do_auth(access_token, user=user)

    def email_is_verified(self, details, response):
        """True only when the provider asserts the e-mail address is verified."""
        return False


class GithubOAuth2(TokenExchangeMixin, _GithubOAuth2):
    def check_access_token_audience(self, access_token):
        # GitHub's token-check API answers 200 only for a live token of *this* OAuth app
        # (authenticated with its client id and secret) and 404 for any other token.
        key, secret = self.get_key_and_secret()
        self.get_json(
            f"{self.api_url()}applications/{quote(key, safe='')}/token",
            method="POST",
            auth=(key, secret),
            json={"access_token": access_token},
            headers={"Accept": "application/vnd.github+json"},
            stage="token_validation",
        )

    def email_is_verified(self, details, response):
        email = details.get("email")
        return bool(email) and any(
            isinstance(entry, dict) and entry.get("email") == email and entry.get("verified") is True
            for entry in response.get("emails") or []
        )


class GoogleOAuth2(TokenExchangeMixin, _GoogleOAuth2):
    TOKENINFO_URL = "https://oauth2.googleapis.com/tokeninfo"

    def check_access_token_audience(self, access_token):
        # tokeninfo names the client the token was issued to (aud / azp).
        info = self.get_json_object(
            self.TOKENINFO_URL, params={"access_token": access_token}, stage="token_validation"
        )
        key, _ = self.get_key_and_secret()
        if key not in {info.get("aud"), info.get("azp")}:
            raise _wrong_audience(self)

    def email_is_verified(self, details, response):
        return bool(details.get("email")) and response.get("email_verified") is True


class FacebookOAuth2(TokenExchangeMixin, _FacebookOAuth2):
    def check_access_token_audience(self, access_token):
        # debug_token, called with our app token, reports which app the user token belongs to.
        key, secret = self.get_key_and_secret()
        version = self.setting("API_VERSION", API_VERSION)
        info = self.get_json_object(
            f"https://graph.facebook.com/v{version}/debug_token",
            params={"input_token": access_token, "access_token": f"{key}|{secret}"},
            stage="token_validation",
        ).get("data")
        if not isinstance(info, dict) or info.get("is_valid") is not True:
            raise AuthCredentialError(self, code="credential_rejected", stage="token_validation")
        if not hmac.compare_digest(str(info.get("app_id", "")), str(key)):
            raise _wrong_audience(self)


class OpenIdConnectAuth(TokenExchangeMixin, _OpenIdConnectAuth):
    """The generic OIDC provider: PKCE, loopback-only plain http, and token-only verification."""

    DEFAULT_USE_PKCE = True
    # Keep the expiry so a stored token is refreshed (with its refresh token) once it runs out.
    EXTRA_DATA = [*_OpenIdConnectAuth.EXTRA_DATA, ("expires_in", "expires_in")]

    @classmethod
    def get_title(cls, strategy):
        # "Sign in with <your provider's name>" rather than the protocol's name.
        return strategy.setting("OIDC_TITLE") or super().get_title(strategy)

    def _require_safe_url(self, url, stage):
        parts = urlsplit(url or "")
        if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(parts.hostname or "")):
            # Tokens and client secrets travel to these URLs: plain http only on this machine.
            raise AuthConfigurationError(self, code="invalid_setting", parameter="OIDC_ENDPOINT", stage=stage)

    def oidc_endpoint(self):
        endpoint = super().oidc_endpoint()
        self._require_safe_url(endpoint, "begin")
        return endpoint

    def request(self, url, **kwargs):
        self._require_safe_url(url, kwargs.get("stage", "begin"))
        return super().request(url, **kwargs)

    def find_valid_key(self, id_token):
        # social-core refetches the provider's JWKS for every token naming a kid it does not hold:
        # an anonymous POST to the back-channel logout endpoint would cost a request to the
        # provider each (1:1). A new kid is looked for at most once per cool-down per JWKS URL,
        # counted in the shared cache; in between such a token simply does not verify.
        kid = jwt.get_unverified_header(id_token).get("kid")
        if kid is not None and all(kid != key.get("kid") for key in self.get_jwks_keys()):
            uri = self.jwks_uri()
            cooldown = conf.get("JWKS_REFETCH_COOLDOWN_SECONDS")
            marker = "socialaccounts:jwks-refetched:" + hashlib.sha256(uri.encode()).hexdigest()
            if not cache.add(marker, 1, cooldown):
                return None
        return super().find_valid_key(id_token)

    def introspection_url(self):
        return self.setting("INTROSPECTION_URL") or self.oidc_config().get("introspection_endpoint")

    def check_access_token_audience(self, access_token):
        # A bare access token says nothing about its client; RFC 7662 introspection does.
        self.oidc_endpoint()  # refuses a plain-http issuer before any token is sent anywhere
        url = self.introspection_url()
        if not url:
            raise AuthConfigurationError(
                self,
                "No introspection endpoint: send an ID token instead",
                code="unsupported_feature",
                parameter="INTROSPECTION_URL",
                stage="token_validation",
            )
        key, secret = self.get_key_and_secret()
        info = self.get_json_object(
            url, method="POST", data={"token": access_token}, auth=(key, secret), stage="token_validation"
        )
        if info.get("active") is not True:
            raise AuthCredentialError(self, code="credential_rejected", stage="token_validation")
        audiences = info.get("aud") or []
        audiences = [audiences] if isinstance(audiences, str) else audiences
        if info.get("client_id") != key and key not in audiences:
            raise _wrong_audience(self)

    def user_data(self, access_token, *args, **kwargs):
        if self.id_token is not None:
            return super().user_data(access_token, *args, **kwargs)
        # Token-only flow: no ID token to compare with, so the UserInfo response, fetched with an
        # access token the provider has just vouched for, is itself the identity. It must name one.
        userinfo = self.get_json(self.userinfo_url(), headers={"Authorization": f"Bearer {access_token}"})
        if not isinstance(userinfo, dict) or not isinstance(userinfo.get("sub"), str) or not userinfo["sub"]:
            raise AuthResponseError(self, claim="sub", code="missing_claim", stage="user_info")
        return userinfo

    def refresh_token_params(self, token, *args, **kwargs):
        params = super().refresh_token_params(token, *args, **kwargs)
        if self.use_basic_auth():
            # Authenticate the way the code exchange did: a client registered for Basic may be
            # refused when its secret arrives in the body instead.
            del params["client_id"], params["client_secret"]
        return params

    def refresh_token_auth(self):
        return HTTPBasicAuth(*self.get_key_and_secret()) if self.use_basic_auth() else None

    def validate_at_hash(self, claims, access_token, key):
        # An ID token sent on its own has no access token to bind to.
        return access_token is None or super().validate_at_hash(claims, access_token, key)

    def exchange_id_token(self, id_token, user=None):
        """The local user for an ID token whose signature, iss, aud (our client id) and exp check out."""
        claims = self.decode_and_validate_id_token(id_token, None)
        self.validate_required_id_token_claims(claims)
        self.validate_temporal_claims(claims)
        self.id_token = claims
        return self.strategy.authenticate(backend=self, response=dict(claims), user=user)

    def email_is_verified(self, details, response):
        source = response if "email_verified" in response else (self.id_token or {})
        return bool(details.get("email")) and source.get("email_verified") is True


def _x_profile(backend, data, stage):
    # X's JSON must name the account: an id, and a username to show. Anything else is malformed,
    # not a KeyError (500) in social-core's get_user_details.
    if not isinstance(data, dict) or not str(data.get("id") or "").isdigit():
        raise AuthResponseError(backend, claim="id", code="missing_claim", stage=stage)
    return data


def _x_details(username, response):
    # No e-mail, ever: X does not return one by default, and an address must never link accounts.
    return {
        "username": username or "",
        "email": "",
        "fullname": response.get("name") or "",
        "first_name": "",
        "last_name": "",
    }


# X names an account by the same user id through both protocols (v1.1 ``id`` = v2 ``id``), so an
# X account linked through one protocol is the same person when it signs in through the other.
SAME_ACCOUNT_AS = {"twitter": ("twitter-oauth2",), "twitter-oauth2": ("twitter",)}


class TwitterOAuth2(TokenExchangeMixin, _TwitterOAuth2):
    """X through OAuth 2.0 (authorization code + PKCE); offline.access for a refresh token."""

    # RFC 7636 names the method "S256" (case-sensitive); social-core 7 sends "s256".
    PKCE_DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    # Keep the refresh token and expiry (social-core's list has neither) so a stored token is renewed.
    EXTRA_DATA = [
        ("id", "id"),
        ("username", "username"),
        ("refresh_token", "refresh_token", True),
        ("expires_in", "expires_in"),
        ("scope", "scope"),
    ]
    EXCHANGE_REFUSAL = (
        "X cannot tell us which app an OAuth 2.0 token was issued to, so it could be another "
        "app's token: sign in with X in the browser, or exchange an OAuth 1.0a token and secret "
        "(subject_issuer=twitter)."
    )

    def check_access_token_audience(self, access_token):
        # X has no introspection or token-info endpoint for OAuth 2.0 tokens: /2/users/me answers
        # for any app's token. Refuse before the token is sent anywhere.
        raise AuthConfigurationError(
            self,
            code="unsupported_feature",
            parameter="subject_token",
            stage="token_validation",
            context={"description": self.EXCHANGE_REFUSAL},
        )

    def user_data(self, access_token, *args, **kwargs):
        answer = self.get_json(
            "https://api.twitter.com/2/users/me",
            params={"user.fields": "id,name,username"},
            headers={"Authorization": f"Bearer {access_token}"},
        )
        data = answer.get("data") if isinstance(answer, dict) else None
        return _x_profile(self, data, "user_info")

    def get_user_details(self, response):
        return _x_details(response.get("username"), response)

    def get_provider_error(self, data, *, stage="callback", status_code=None, retry_after=None):
        error = super().get_provider_error(
            data, stage=stage, status_code=status_code, retry_after=retry_after
        )
        if stage == "refresh" and error is not None and error.provider_code == "invalid_request":
            # X answers a spent or revoked refresh token with invalid_request ("Value passed for the
            # token was invalid."), which social-core reads as our misconfiguration. It is the
            # token's: only a new sign-in with X helps. (Wrong client credentials are unauthorized_client.)
            return AuthCredentialError(
                self,
                code="reauthentication_required",
                stage=stage,
                provider_code=error.provider_code,
                status_code=status_code,
            )
        return error

    def refresh_token_params(self, token, *args, **kwargs):
        # X authenticates a confidential client by Basic only (as at the code exchange); its docs
        # keep client_id in the body.
        params = super().refresh_token_params(token, *args, **kwargs)
        del params["client_secret"]
        return params

    def refresh_token_auth(self):
        return HTTPBasicAuth(*self.get_key_and_secret())


_PAIR_NEEDED = "Send X's OAuth 1.0a token with its secret: oauth_token:oauth_token_secret."


class TwitterOAuth(TokenExchangeMixin, _TwitterOAuth):
    """X through OAuth 1.0a; the token and its secret are kept together, encrypted."""

    PAIR_SEPARATOR = ":"  # as in HTTP Basic's id:secret; X's tokens and secrets never contain one
    VERIFY_CREDENTIALS_URL = "https://api.twitter.com/1.1/account/verify_credentials.json"

    def token_credentials(self, value):
        """The ``oauth_token:oauth_token_secret`` pair a client sends, as social-core's token dict."""
        token, separator, secret = value.partition(self.PAIR_SEPARATOR)
        if not separator or not token or not secret:
            raise AuthInputError(
                self,
                code="missing_parameter",
                parameter="subject_token",
                stage="token_validation",
                context={"description": _PAIR_NEEDED},
            )
        return {"oauth_token": token, "oauth_token_secret": secret}

    def exchange_access_token(self, access_token, user=None):
        """The local user for an ``oauth_token:oauth_token_secret`` pair issued to our consumer key.

        The audience check is the profile request itself: verify_credentials is signed with OUR
        consumer key and secret plus the pair, and X answers 401 ("Could not authenticate you") to
        a pair issued to another consumer key, or revoked. That one call raises before the pipeline
        writes anything.
        """
        return self.do_auth(self.token_credentials(access_token), user=user)

    def resource_auth(self, token):
        """Signs a request to X's API with our consumer key and secret and the user's token pair.

        social-core's oauth_auth() also adds the sign-in's oauth_callback and oauth_verifier, which
        need a browser request to build and have no place on an API call (RFC 5849 3.1, 2.3).
        """
        if not isinstance(token, dict) or not token.get("oauth_token") or not token.get("oauth_token_secret"):
            raise AuthResponseError(self, claim="oauth_token_secret", code="missing_claim", stage="user_info")
        key, secret = self.get_key_and_secret()
        return OAuth1(
            key,
            secret,
            resource_owner_key=token["oauth_token"],
            resource_owner_secret=token["oauth_token_secret"],
        )

    def user_data(self, access_token, *args, **kwargs):
        # Without include_email: X's e-mail is never wanted (it must not link accounts).
        data = self.get_json(
            self.VERIFY_CREDENTIALS_URL,
            params={"skip_status": "true", "include_entities": "false"},
            auth=self.resource_auth(access_token),
        )
        return _x_profile(self, data, "user_info")

    def get_user_details(self, response):
        return _x_details(response.get("screen_name"), response)


BACKENDS = {
    backend.name: backend
    for backend in (
        GithubOAuth2,
        GoogleOAuth2,
        FacebookOAuth2,
        OpenIdConnectAuth,
        TwitterOAuth2,
        TwitterOAuth,
    )
}


def provider_title(provider):
    """The name people know a provider by ("X" for both of X's protocols), else its backend name."""
    # Imported here: social_django.utils loads SOCIAL_AUTH_STORAGE, our models, which import this module.
    from social_django.utils import load_strategy  # noqa: PLC0415

    backend = BACKENDS.get(provider)
    return backend.get_title(load_strategy()) if backend else provider
