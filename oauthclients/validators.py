"""Beer Locker's OAuth 2.0 rules on top of DOT's request validator (``OAUTH2_VALIDATOR_CLASS``).

DOT answers "is this client allowed X?" from one ``authorization_grant_type`` and the server-wide
settings. Our clients register RFC 7591 metadata instead, so each check here reads the client's
``grant_types``, ``token_endpoint_auth_method`` and ``scope``, plus the switches in
``oauthclients.conf``.
"""

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import (
    AbstractApplication,
    get_access_token_model,
    get_refresh_token_model,
    revoke_access_token,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from api import limits
from oauthclients import authn, claims, conf
from oauthclients.models import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    IMPLICIT,
    PASSWORD,
    REFRESH_TOKEN,
    TOKEN_EXCHANGE,
    AuthorizationCodeRedemption,
    Client,
)

# oauthlib's grant_type values, mapped to the RFC 7591 names a client registers.
_TOKEN_GRANTS = {
    "authorization_code": AUTHORIZATION_CODE,
    "password": PASSWORD,
    "client_credentials": CLIENT_CREDENTIALS,
    "refresh_token": REFRESH_TOKEN,
}
# The authorization endpoint's response types: each needs every grant listed.
_RESPONSE_TYPE_GRANTS = {
    "code": {AUTHORIZATION_CODE},
    "token": {IMPLICIT},
    "id_token": {IMPLICIT},
    "id_token token": {IMPLICIT},
    "code id_token": {AUTHORIZATION_CODE, IMPLICIT},
    "code token": {AUTHORIZATION_CODE, IMPLICIT},
    "code id_token token": {AUTHORIZATION_CODE, IMPLICIT},
}


def code_checksum(code: str) -> str:
    """What we store for an authorization code: its SHA-256, never the code itself."""
    return hashlib.sha256(code.encode()).hexdigest()


def grant_enabled(grant: str) -> bool:
    """Whether the server allows this RFC 7591 grant type at all (``OAUTHCLIENTS`` switches)."""
    if grant == IMPLICIT:
        return conf.get("ALLOW_IMPLICIT_GRANT")
    if grant == PASSWORD:
        return conf.get("ALLOW_PASSWORD_GRANT")
    return grant in (AUTHORIZATION_CODE, CLIENT_CREDENTIALS, REFRESH_TOKEN, TOKEN_EXCHANGE)


def client_allows(client: Client, *grants: str) -> bool:
    """The client registered every one of these grants and the server has them switched on."""
    return all(grant in client.grant_types and grant_enabled(grant) for grant in grants)


def is_public(client: Client) -> bool:
    return (
        client.token_endpoint_auth_method == Client.AuthMethod.NONE
        or client.client_type == AbstractApplication.CLIENT_PUBLIC
    )


def account_disabled(user) -> bool:
    """True for a user an administrator deactivated (``is_active=False``): Django's way to lock an
    account, which Basic, session and password sign-in already honour, so tokens must too."""
    return user is not None and not user.is_active


def is_disabled_accounts_token(token: str) -> bool:
    """True when ``token`` is an access token acting for a deactivated user."""
    checksum = hashlib.sha256(token.encode()).hexdigest()
    return get_access_token_model().objects.filter(token_checksum=checksum, user__is_active=False).exists()


def registered_scopes(client: Client) -> set[str]:
    """The scopes a client may ask for: its registered ``scope``, else the server default."""
    return set((client.scope or conf.get("DEFAULT_CLIENT_SCOPE")).split())


class BeerLockerValidator(OAuth2Validator):
    """DOT's validator, held to each client's registration and to the project's hardening rules."""

    # Which scope releases each claim: oauthclients.claims is the one table.
    oidc_claim_scope = {"sub": "openid", **claims.claim_scopes()}

    # --- Client authentication --------------------------------------------------------------

    def _load_application(self, client_id, request):
        # PostgreSQL rejects NUL in a text parameter with a DataError (DOT only catches the
        # ValueError older drivers raised); no client_id contains one, so it is simply unknown.
        if client_id and "\x00" in client_id:
            return None
        return super()._load_application(client_id, request)

    def _get_client_by_audience(self, audience):
        # DOT's documented customization point for an ID token's (unverified) aud: a number or
        # null from a crafted id_token_hint names no client, rather than a TypeError in the query.
        if isinstance(audience, str):
            audience = [audience]
        if not isinstance(audience, list) or not all(isinstance(aud, str) for aud in audience):
            return None
        return super()._get_client_by_audience(audience)

    def validate_user(self, username, password, client, request, *args, **kwargs):
        if "\x00" in (username or "") or "\x00" in (password or ""):
            return False  # see _load_application: never a username, and a DataError on PostgreSQL
        # The password grant is a door to every account: limited like the sign-in page (the
        # failure itself is counted by django-axes through Django's authenticate()).
        if limits.is_user_locked(self.build_http_request(request), username):
            raise limits.OAuthTooManyAttempts(request=request)
        return super().validate_user(username, password, client, request, *args, **kwargs)

    def authenticate_client(self, request, *args, **kwargs):
        # Client secrets are guessable like passwords: limited per client and address.
        http_request = self.build_http_request(request)
        client_id = limits.presented_client_id(request)
        if limits.is_client_locked(http_request, client_id):
            raise limits.OAuthTooManyAttempts(request=request)
        if super().authenticate_client(request, *args, **kwargs):
            return True
        limits.client_secret_failed(http_request, client_id)
        return False

    def _authenticate_basic_auth(self, request):
        # A client registered for the request body must not authenticate with Basic, and
        # vice versa: the method is part of what the client registered (RFC 7591 §2).
        if not super()._authenticate_basic_auth(request):
            return False
        # A client_id in the body that names another client is a failed authentication
        # (invalid_client), not oauthlib's later "server_error" for the discrepancy.
        body_client_id = getattr(request, "client_id", None)
        if body_client_id and body_client_id != request.client.client_id:
            return False
        return request.client.token_endpoint_auth_method == Client.AuthMethod.CLIENT_SECRET_BASIC

    def _authenticate_request_body(self, request):
        if not super()._authenticate_request_body(request):
            return False
        return request.client.token_endpoint_auth_method == Client.AuthMethod.CLIENT_SECRET_POST

    def client_authentication_required(self, request, *args, **kwargs):
        # DOT decides by client_type alone; a client registered with a secret must always use it.
        if self._extract_basic_auth(request) or getattr(request, "client_secret", None):
            return True
        client = self._load_application(request.client_id, request)
        if client is not None:
            return not is_public(client)
        return super().client_authentication_required(request, *args, **kwargs)

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        client = self._load_application(client_id, request)
        return client is not None and is_public(client)

    # --- Grants -----------------------------------------------------------------------------

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        grant = _TOKEN_GRANTS.get(grant_type)
        if grant is None:
            return False
        if grant in (CLIENT_CREDENTIALS, PASSWORD) and is_public(request.client):
            # Both grants trust the client to hold a secret; a public client holds none.
            return False
        return client_allows(request.client, grant)

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        grants = _RESPONSE_TYPE_GRANTS.get(response_type)
        return grants is not None and client_allows(client, *grants)

    def is_pkce_required(self, client_id, request):
        # S256 only (RFC 9700 §2.1.1): "plain", or no method (which RFC 7636 reads as plain), is
        # refused when the challenge arrives, before the user is asked anything.
        if request.code_challenge is not None and request.code_challenge_method != "S256":
            raise errors.InvalidRequestError(
                description='code_challenge_method must be "S256".', request=request
            )
        client = request.client if isinstance(request.client, Client) else None
        if client is None:
            return super().is_pkce_required(client_id, request)
        # Public clients cannot keep a secret, so PKCE is what binds the code to them.
        return is_public(client)

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        # Exact match (DOT), and a scheme we would actually redirect to: https, loopback http, or a
        # native app's private-use scheme. Checked up front so the user never consents in vain.
        if not super().validate_redirect_uri(client_id, redirect_uri, request, *args, **kwargs):
            return False
        return urlsplit(redirect_uri).scheme in request.client.get_allowed_schemes()

    # --- Scopes -----------------------------------------------------------------------------

    def _allowed_scopes(self, client, request):
        app_scopes = set(conf.get("APP_SCOPES"))
        allowed = registered_scopes(client)
        if not client.skip_authorization:
            allowed -= set(conf.get("FIRST_PARTY_SCOPES"))
        if request.grant_type == "client_credentials":
            # No user is behind the token, so it may hold only application-level scopes.
            return allowed & app_scopes
        # A token that acts for a user never carries application-level scopes.
        return allowed - app_scopes

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        if not scopes or not super().validate_scopes(client_id, scopes, client, request, *args, **kwargs):
            return False
        if "openid" in scopes and client.algorithm != AbstractApplication.RS256_ALGORITHM:
            # ID tokens are signed with the server's RSA key only.
            return False
        return set(scopes) <= self._allowed_scopes(client, request)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        # A request without ``scope`` gets what the client registered (RFC 6749 §3.3).
        known = set(oauth2_settings._SCOPES)
        return sorted(self._allowed_scopes(request.client, request) & known)

    # --- Authorization codes: stored as checksums, and a replay revokes what they issued ----

    def _create_authorization_code(self, request, code, expires=None):
        return super()._create_authorization_code(
            request, {**code, "code": code_checksum(code["code"])}, expires=expires
        )

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        if super().validate_code(client_id, code_checksum(code), client, request, *args, **kwargs):
            # A code issued just before the user was deactivated buys no token.
            return not account_disabled(request.user)
        revoke_tokens_from_code(code_checksum(code))
        return False

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, *args, **kwargs):
        return super().confirm_redirect_uri(
            client_id, code_checksum(code), redirect_uri, client, *args, **kwargs
        )

    def get_code_challenge(self, code, request):
        challenge = super().get_code_challenge(code_checksum(code), request)
        if challenge is None and request.code_verifier is not None:
            # RFC 9700 §2.1.1, PKCE downgrade: oauthlib ignores a verifier when the code has no
            # challenge, so a code injected from a flow without PKCE would pass as this client's.
            raise errors.InvalidGrantError(
                description="code_verifier sent, but the authorization request had no code_challenge.",
                request=request,
            )
        return challenge

    def get_code_challenge_method(self, code, request):
        return super().get_code_challenge_method(code_checksum(code), request)

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        return super().get_authorization_code_scopes(client_id, code_checksum(code), redirect_uri, request)

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        return super().get_authorization_code_nonce(client_id, code_checksum(code), redirect_uri, request)

    def _check_and_set_request_resource(self, request):
        # DOT looks the grant up by ``request.code``; only the checksum is stored.
        code = getattr(request, "code", None)
        if request.grant_type != "authorization_code" or not code:
            return super()._check_and_set_request_resource(request)
        request.code = code_checksum(code)
        try:
            return super()._check_and_set_request_resource(request)
        finally:
            request.code = code

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        request.issued_access_token = access_token
        return access_token

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        request.issued_refresh_token = refresh_token
        return refresh_token

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        checksum = code_checksum(code)
        issued = getattr(request, "issued_access_token", None)
        refresh = getattr(request, "issued_refresh_token", None)
        sign_in = authn.code_sign_in(checksum)  # read before the grant (and its record) goes
        with transaction.atomic():
            try:
                super().invalidate_authorization_code(client_id, checksum, request, *args, **kwargs)
            except errors.InvalidGrantError:
                # A concurrent exchange of the same code won: this one is the replay.
                if issued is not None:
                    revoke_access_token(issued)
                revoke_tokens_from_code(checksum)
                raise
            AuthorizationCodeRedemption.objects.create(
                code_checksum=checksum,
                application=request.client,
                access_token_checksum=issued.token_checksum if issued is not None else "",
                refresh_token_family=refresh.token_family if refresh is not None else None,
                **sign_in,
            )

    # --- Refresh tokens: idle expiry -----------------------------------------------------------

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        # Rotation issues a new refresh token on every use, so the current one's age is the
        # time since the client last refreshed: past the idle limit the session is over.
        idle = timedelta(seconds=conf.get("REFRESH_TOKEN_IDLE_SECONDS"))
        if request.refresh_token_instance.created + idle <= timezone.now():
            return False
        # Rotation would otherwise keep a deactivated user's session alive for ever.
        if account_disabled(request.user):
            return False
        # Nothing left that the client may still ask for: no token rather than an empty one.
        return bool(self.get_original_scopes(refresh_token, request).split())

    def get_original_scopes(self, refresh_token, request, *args, **kwargs):
        # oauthlib lets a refresh keep (or ask for) whatever was granted, even after the owner
        # narrowed the client's registered scope; a refresh never outlasts that registration.
        original = super().get_original_scopes(refresh_token, request, *args, **kwargs)
        if isinstance(original, str):
            original = original.split()
        allowed = self._allowed_scopes(request.client, request)
        return " ".join(scope for scope in original if scope in allowed)

    # --- OpenID Connect prompt=none -------------------------------------------------------------

    def validate_silent_login(self, request):
        # oauthlib asks this for prompt=none but cannot see the browser's session. The
        # authorization view decides: a signed-out user gets login_required (DOT's
        # handle_no_permission) and nothing is issued before the user is known.
        return True

    def validate_silent_authorization(self, request):
        # Likewise the view: without remembered consent for these scopes it answers
        # consent_required instead of showing the dialog (AuthorizationView.get).
        return True

    # --- Bearer tokens -------------------------------------------------------------------------

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if account_disabled(request.user):
            # DOT hands over the token's user as is; DRF counts any user object as authenticated.
            request.oauth2_error = {
                "error": "invalid_token",
                "error_description": "The account this token acts for is disabled.",
            }
            return False
        return True

    def validate_jwt_bearer_token(self, token, scopes, request):
        # DOT accepts an ID token as a bearer token. An ID token tells a client who signed in;
        # it is not an authorization to call the API, and it cannot be revoked like a token.
        return False

    # --- OpenID Connect claims -----------------------------------------------------------------

    def get_additional_claims(self):
        # Request-agnostic (callables), so discovery can list the claims in claims_supported.
        return claims.claim_readers()

    def get_oidc_claims(self, token, token_handler, request):
        # OIDC Core §5.3.2: a claim without a value is left out, never "" or null.
        return claims.without_empty(super().get_oidc_claims(token, token_handler, request))

    def get_id_token_dictionary(self, token, token_handler, request):
        id_claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        # DOT's auth_time is the account's last sign-in anywhere; ours is this session's, carried
        # with the code (OIDC Core §2), and acr says how the user signed in.
        code = getattr(request, "code", None)
        auth_time, acr = authn.id_token_authentication(request, code_checksum(code) if code else None)
        if auth_time is not None:
            id_claims["auth_time"] = auth_time
        if acr:
            id_claims["acr"] = acr
        return id_claims, expiration_time

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        authn.code_authentication_record(
            code_checksum=code_checksum(code["code"]),
            auth_time=getattr(request, "auth_time", None),
            acr=getattr(request, "acr", None),
        )


def revoke_tokens_from_code(checksum: str) -> None:
    """Revoke every token issued from an authorization code that is presented again."""
    redemption = AuthorizationCodeRedemption.objects.filter(code_checksum=checksum).first()
    if redemption is None:
        return
    if redemption.refresh_token_family:
        get_refresh_token_model().revoke_family(redemption.refresh_token_family)
    if redemption.access_token_checksum:
        for access_token in get_access_token_model().objects.filter(
            token_checksum=redemption.access_token_checksum
        ):
            revoke_access_token(access_token)


def code_redemptions_prune() -> int:
    """Forget redeemed codes whose tokens are all gone (a replay then has nothing to revoke)."""
    # No NULL in the sub-select: "x NOT IN (..., NULL)" is never true in SQL.
    live_families = (
        get_refresh_token_model()
        .objects.filter(revoked__isnull=True, token_family__isnull=False)
        .values("token_family")
    )
    live_access_tokens = get_access_token_model().objects.values("token_checksum")
    deleted, _ = (
        AuthorizationCodeRedemption.objects.exclude(refresh_token_family__in=live_families)
        .exclude(access_token_checksum__in=live_access_tokens)
        .delete()
    )
    return deleted
