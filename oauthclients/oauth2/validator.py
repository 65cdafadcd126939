"""Beer Locker's OAuth 2.0 rules on top of DOT's request validator (``OAUTH2_VALIDATOR_CLASS``).

DOT answers "is this client allowed X?" from one ``authorization_grant_type`` and the server-wide
settings. Our clients register RFC 7591 metadata instead, so each check here asks the client
(``Client.allows_grant``, ``allows_response_type``, ``allowed_scopes``, ``is_public``). Only
public validator methods are overridden; what DOT offers no hook for is in ``compat``.
"""

import hashlib
import json
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors, utils

from beerlocker_api import limits
from oauthclients import conf, signals
from oauthclients.adapter import get_adapter
from oauthclients.grants import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    CONFIDENTIAL_ONLY_GRANT_TYPES,
    DEVICE_CODE,
    PASSWORD,
    REFRESH_TOKEN,
)
from oauthclients.keys import server_signing_algs
from oauthclients.models import Client
from oauthclients.oauth2 import compat, profiles, server
from oauthclients.oauth2.clientauth import assertions
from oauthclients.oauth2.clientauth.authenticate import (
    authenticate_client,
    basic_credentials,
    load_client,
    presented_client_credentials,
)
from oauthclients.oauth2.compat import CompatValidatorMixin
from oauthclients.oauth2.logout import backchannel
from oauthclients.oauth2.oidc import authn, claims, userinfo
from oauthclients.oauth2.tokens import audience, codes, devices, dpop, jwt_access, rotation, sign_in

# The grants oauthlib asks ``validate_grant_type`` about (token exchange checks its own).
_TOKEN_ENDPOINT_GRANTS = (AUTHORIZATION_CODE, PASSWORD, CLIENT_CREDENTIALS, REFRESH_TOKEN, DEVICE_CODE)


def account_disabled(user) -> bool:
    """True for a user an administrator deactivated (``is_active=False``): Django's way to lock an
    account, which Basic, session and password sign-in already honour, so tokens must too."""
    return user is not None and not user.is_active


def is_disabled_accounts_token(token: str) -> bool:
    """True when ``token`` is an access token acting for a deactivated user."""
    checksum = hashlib.sha256(token.encode()).hexdigest()
    return get_access_token_model().objects.filter(token_checksum=checksum, user__is_active=False).exists()


class BeerLockerValidator(CompatValidatorMixin, OAuth2Validator):
    """DOT's validator, held to each client's registration and to the project's hardening rules."""

    # Which scope releases each claim: oauthclients.oauth2.oidc.claims is the one table.
    oidc_claim_scope = {"sub": "openid", **claims.claim_scopes()}

    # --- Client authentication --------------------------------------------------------------

    def validate_client_id(self, client_id, request, *args, **kwargs):
        request.client = load_client(client_id, request)
        return request.client is not None

    def validate_user(self, username, password, client, request, *args, **kwargs):
        if "\x00" in (username or "") or "\x00" in (password or ""):
            return False  # never a username, and a DataError on PostgreSQL (see load_client)
        # The password grant is a door to every account: limited like the sign-in page (the
        # failure itself is counted by django-axes through Django's authenticate()).
        http_request = self.build_http_request(request)
        if wait := limits.user_wait(http_request, username):
            raise limits.OAuthTooManyAttempts(wait, request=request)
        adapter = get_adapter()
        # A token the project accepts in the password's place (a personal access token): the
        # alternative for an account that needs more than a password.
        substitute = adapter.password_grant_token(username, password)
        if substitute is not None:
            if substitute.user is None or not substitute.user.is_active:
                limits.password_failed(http_request, username)  # counted as a wrong password
                raise errors.InvalidGrantError(
                    description="The token given as the password is invalid, expired or revoked, "
                    "or belongs to another account.",
                    request=request,
                )
            request.user = substitute.user
            request.password_grant_scopes = substitute.scopes
            # The tokens issued with it never outlive it, and are linked to it (save_bearer_token).
            setattr(request, jwt_access.LIFETIME_BOUND, substitute.expires)
            request.password_grant_source = substitute.source
            sign_in.no_sign_in(request)
            return True
        if not super().validate_user(username, password, client, request, *args, **kwargs):
            return False
        # The project may want more than a password for this account (a second factor).
        allowed, description = adapter.password_grant_allowed(request.user)
        if not allowed:
            raise errors.InvalidGrantError(description=description, request=request)
        sign_in.password_sign_in(request)
        return True

    def authenticate_client(self, request, *args, **kwargs):
        # Client secrets are guessable like passwords: limited per client and per address.
        http_request = self.build_http_request(request)
        basic = basic_credentials(request)
        client_id = basic[0] if basic is not None else request.client_id
        if not client_id and assertions.presented(request):
            # RFC 7523 lets an assertion stand without client_id: the client it names (unverified,
            # for counting only) is the one its failures count against; an unreadable one counts
            # against the address alone.
            client_id = assertions.claimed_client_id(request)
        if wait := limits.client_wait(http_request, client_id):
            raise limits.OAuthTooManyAttempts(wait, request=request)
        # The method (Basic or body) is part of what the client registered (RFC 7591 §2).
        if authenticate_client(request):
            return True
        limits.client_secret_failed(http_request, client_id)
        return False

    def client_authentication_required(self, request, *args, **kwargs):
        # DOT decides by client_type alone; a client registered with a secret must always use it.
        if presented_client_credentials(request):
            return True
        client = load_client(request.client_id, request)
        # Unknown client: authentication is required (oauthlib's default), and will fail.
        return client is None or not client.is_public

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        client = load_client(client_id, request)
        # FAPI 2.0 Security Profile §5.3.2.1: confidential clients only (the server-wide switch
        # leaves a public client registered before it without a way in).
        if client is None or not client.is_public or client.is_fapi2:
            return False
        request.client = client
        return True

    # --- Grants -----------------------------------------------------------------------------

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        if grant_type not in _TOKEN_ENDPOINT_GRANTS:
            return False
        if grant_type in CONFIDENTIAL_ONLY_GRANT_TYPES and request.client.is_public:
            # Both grants trust the client to hold a secret; a public client holds none.
            return False
        return request.client.allows_grant(grant_type)

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        return client.allows_response_type(response_type)

    def is_pkce_required(self, client_id, request):
        # DOT asks ``PKCE_REQUIRED`` with the client_id alone, and ours reads the client to answer;
        # the client this request already read (validate_client_id, client authentication)
        # answers the same without reading it again.
        client = request.client
        if (
            oauth2_settings.PKCE_REQUIRED is server.pkce_required
            and isinstance(client, Client)
            and client.client_id == client_id
        ):
            return server.pkce_required_for(client)
        return super().is_pkce_required(client_id, request)

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        # Exact match (DOT), and a scheme we would actually redirect to: https, loopback http, or a
        # native app's private-use scheme. Checked up front so the user never consents in vain.
        if not super().validate_redirect_uri(client_id, redirect_uri, request, *args, **kwargs):
            return False
        return urlsplit(redirect_uri).scheme in request.client.get_allowed_schemes()

    # --- Scopes -----------------------------------------------------------------------------

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        if "openid" in scopes and request.response_type:
            # OIDC Core §3.1.2.1: in an OpenID request, scope values not understood are ignored
            # (the suite adds offline_access, OIDC Core §11, which is not offered here). A plain
            # OAuth request keeps RFC 6749's invalid_scope for them.
            known = set(get_scopes_backend().get_all_scopes())
            scopes = request.scopes = [scope for scope in scopes if scope in known]
        if not scopes or not super().validate_scopes(client_id, scopes, client, request, *args, **kwargs):
            return False
        bound = getattr(request, "password_grant_scopes", None)
        if bound is not None and not set(scopes) <= bound:
            # Refused rather than narrowed: a script asking for more than its token holds is told
            # which scopes, instead of failing later at the API with a token that lacks them.
            raise errors.InvalidScopeError(
                description="The token given as the password does not hold these scopes: "
                + " ".join(sorted(set(scopes) - bound)),
                request=request,
            )
        if "openid" in scopes and client.algorithm not in server_signing_algs():
            # ID tokens are signed with one of the server's keys (oauthclients.keys): a client
            # without an algorithm (DOT's "no OpenID Connect"), with DOT's HS256, or with one
            # whose key is not configured here, gets none.
            return False
        return set(scopes) <= client.allowed_scopes(request.grant_type)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        # A request without ``scope`` gets what the client registered (RFC 6749 §3.3).
        known = set(get_scopes_backend().get_all_scopes())
        # With a token as the password: no more than it holds.
        bound = getattr(request, "password_grant_scopes", None) or known
        return sorted(request.client.allowed_scopes(request.grant_type) & known & bound)

    # --- Authorization codes: stored as checksums (codes.py), spent with the tokens they buy --

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        stored = {**code, "code": codes.code_checksum(code["code"])}
        # The code, the sign-in behind it and the session's record of the client: all or none.
        with transaction.atomic():
            grant = compat.create_authorization_code(self, request, stored)
            if profiles.cap_code_lifetime(grant, request.client):  # FAPI 2.0: 60 s at most
                grant.save(update_fields=["expires"])
            dpop.bind_code(grant, request)  # RFC 9449 §10: dpop_jkt
            authn.code_authentication_record(
                grant=grant,
                auth_time=getattr(request, "auth_time", None),
                acr=getattr(request, "acr", None),
                sid=getattr(request, "sid", None),
                amr=getattr(request, "amr", None),
            )
            self._record_session_client(request)

    def _record_session_client(self, request):
        # Back-channel logout: the session (sid, set only at the authorization endpoint) reached
        # this client, which must hear when it ends.
        if not getattr(request, "sid", None):
            return
        backchannel.session_client_record(
            sid=request.sid,
            user=request.user,
            client=request.client,
            issuer=self.get_oidc_issuer_endpoint(request),
        )

    # At the token endpoint every question about the code is answered from one read of its grant
    # (codes.code_grant); whether it is still unspent, only code_exchange's delete decides.

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = codes.code_grant(request, code)
        if grant is None or grant.application_id != client.pk or grant.is_expired():
            codes.revoke_tokens_from_code(codes.code_checksum(code))
            return False
        # What DOT's validate_code takes from the grant.
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        # A code issued just before the user was deactivated buys no token.
        return not account_disabled(request.user)

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request=None, *args, **kwargs):
        return codes.client_code_grant(request, code, client).redirect_uri_allowed(redirect_uri)

    def get_code_challenge(self, code, request):
        challenge = codes.client_code_grant(request, code, request.client).code_challenge or None
        if challenge is None and request.code_verifier is not None:
            # RFC 9700 §2.1.1, PKCE downgrade: oauthlib ignores a verifier when the code has no
            # challenge, so a code injected from a flow without PKCE would pass as this client's.
            raise errors.InvalidGrantError(
                description="code_verifier sent, but the authorization request had no code_challenge.",
                request=request,
            )
        if challenge is not None and not request.code_verifier:
            # RFC 7636 §4.6: the code is not redeemed without its verifier: invalid_grant, as for a
            # wrong one (oauthlib says invalid_request; the OpenID conformance suite's FAPI 2.0
            # module ensure-pkce-code-verifier-required expects invalid_grant).
            raise errors.InvalidGrantError(description="code_verifier is required.", request=request)
        return challenge

    def get_code_challenge_method(self, code, request):
        return codes.client_code_grant(request, code, request.client).code_challenge_method or None

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        # Asked before the client authenticates (to choose the OpenID Connect grant), like DOT's.
        grant = codes.code_grant(request, code)
        return utils.scope_to_list(grant.scope) if grant is not None and grant.scope else []

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        grant = codes.code_grant(request, code)
        return (grant.nonce or None) if grant is not None else None

    def finalize_id_token(self, id_token, token, token_handler, request):
        if request.grant_type != AUTHORIZATION_CODE:
            # Signed as the code grant signs (the server's key for the client's algorithm, with the
            # kid the JWKS publishes for it; DOT's own puts no kid on a PS256 or ES256 token and a
            # bare thumbprint on an RS256 one), the row saved as DOT saves it.
            signed, expires = compat.signed_id_token(self, id_token, token, token_handler, request)
            with transaction.atomic():
                compat.save_id_token(self, request, id_token["jti"], expires)
            return signed
        # DOT's, except that the ID token's row waits for the tokens the code buys and is saved
        # with them, in the transaction that spends the code (save_bearer_token): a code found
        # spent leaves no ID token behind, and the row costs no transaction of its own.
        signed, expires = compat.signed_id_token(self, id_token, token, token_handler, request)
        request.unsaved_id_token = (id_token["jti"], expires)
        return signed

    def save_bearer_token(self, token, request, *args, **kwargs):
        # RFC 8707: a resource this server does not serve is refused before anything is spent
        # (code, refresh token) or saved; DOT narrows to the granted ones while saving.
        audience.refuse_unknown_resources(request)
        # RFC 9449: the key the tokens are bound to, once the code's or refresh token's binding
        # and the client's registration allow it; bound in the transaction that saves them.
        jkt = dpop.token_request_jkt(request)
        # RFC 9470: the sign-in behind the tokens, decided before a rotation deletes the access
        # token a refresh reads it from; kept with the access token in the transaction saving it.
        auth_time, acr = sign_in.token_request_sign_in(request)

        source = getattr(request, "password_grant_source", None)

        def save_bound(save):
            def run():
                saved = save()
                dpop.bind_issued(jkt, token, request)
                sign_in.record_issued(token, request)
                if source is not None:
                    _link_issued(source, token)
                return saved

            return run

        def dot_save():
            return super(BeerLockerValidator, self).save_bearer_token(token, request, *args, **kwargs)

        if request.grant_type == REFRESH_TOKEN:
            # Claimed before rotating, so concurrent uses of one token never fork the family.
            try:
                return rotation.refresh_rotate(
                    refresh_token=request.refresh_token_instance,
                    request=request,
                    save_tokens=save_bound(dot_save),
                )
            except errors.InvalidGrantError:
                # A concurrent use won: reuse, as validate_refresh_token finds it a moment later.
                announce_reuse(request.refresh_token, request.client)
                raise
        if request.grant_type == DEVICE_CODE:
            # The device code is spent in the transaction that saves the tokens it buys.
            return devices.device_exchange(
                device_code=request.device_code, client=request.client, save_tokens=save_bound(dot_save)
            )
        if request.grant_type == CLIENT_CREDENTIALS:
            # One INSERT (an access token for no user, no refresh token, no session); two with a
            # DPoP binding, in one transaction.
            if jkt is None:
                return compat.save_lone_access_token(self, token, request)
            with transaction.atomic():
                return save_bound(lambda: compat.save_lone_access_token(self, token, request))()
        if request.grant_type != AUTHORIZATION_CODE:
            self._record_session_client(request)  # implicit and hybrid: tokens in the browser
            if jkt is None and auth_time is None and not acr and source is None:
                return dot_save()
            with transaction.atomic():
                return save_bound(dot_save)()
        # The code is spent in the same transaction as the tokens it buys are saved, and a replay
        # revokes them: one function, whatever order oauthlib calls the validator in.
        return codes.code_exchange(
            code=request.code,
            grant=codes.code_grant(request, request.code),
            client=request.client,
            token=token,
            save_tokens=save_bound(lambda: self._save_code_tokens(token, request)),
        )

    def _save_code_tokens(self, token, request):
        # Inside code_exchange's transaction: the ID token first (finalize_id_token signed it),
        # as the access token names it, then DOT's access and refresh tokens.
        if getattr(request, "unsaved_id_token", None) is not None:
            jti, expires = request.unsaved_id_token
            compat.save_id_token(self, request, jti, expires)
            request.unsaved_id_token = None
        compat.save_bearer_token_in_transaction(self, token, request)

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        # Nothing left to do: ``codes.code_exchange`` (from save_bearer_token) deleted the code
        # with the tokens it bought saved, in one transaction.
        pass

    # --- Device codes (RFC 8628): checksums and polling pace in tokens/devices.py --------------

    def validate_device_code(self, client_id, code, request, *args, **kwargs):
        status, grant = devices.device_poll(client=request.client, device_code=code)
        if status == devices.AUTHORIZED:
            if account_disabled(grant.user):
                return None  # allowed just before the account was deactivated: no token
            request.user = grant.user
            request.scopes = grant.scope.split()
            sign_in.device_sign_in(request, grant)
        return status

    # --- Refresh tokens: idle expiry -----------------------------------------------------------

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            announce_reuse(refresh_token, client)
            return False
        # Rotation issues a new refresh token on every use, so the current one's age is the
        # time since the client last refreshed: past the idle limit the session is over. A token
        # that is not rotated (FAPI 2.0) is stamped ``updated`` at each use (rotation.refresh_rotate).
        idle = timedelta(seconds=conf.get("REFRESH_TOKEN_IDLE_SECONDS"))
        instance = request.refresh_token_instance
        last_used = instance.created if self.rotate_refresh_token(request) else instance.updated
        if last_used + idle <= timezone.now():
            return False
        # Rotation would otherwise keep a deactivated user's session alive for ever.
        if account_disabled(request.user):
            return False
        # Nor outlive the credential the family was first issued with (a personal access token).
        bound = get_adapter().refresh_token_expires(request.refresh_token_instance)
        if bound is not None and bound <= timezone.now():
            return False
        setattr(request, jwt_access.LIFETIME_BOUND, bound)
        # Nothing left that the client may still ask for: no token rather than an empty one.
        return bool(self.get_original_scopes(refresh_token, request).split())

    def rotate_refresh_token(self, request):
        # FAPI 2.0 Security Profile §5.3.2.1: no rotation (a lost response would end the session);
        # everyone else's refresh tokens are rotated with reuse detection (ROTATE_REFRESH_TOKEN).
        return profiles.rotates_refresh_tokens(request.client, super().rotate_refresh_token(request))

    def get_original_scopes(self, refresh_token, request, *args, **kwargs):
        # oauthlib lets a refresh keep (or ask for) whatever was granted, even after the owner
        # narrowed the client's registered scope; a refresh never outlasts that registration.
        original = super().get_original_scopes(refresh_token, request, *args, **kwargs)
        if isinstance(original, str):
            original = original.split()
        allowed = request.client.allowed_scopes(request.grant_type)
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
        # RFC 9449 §7: a DPoP-bound token only with the DPoP scheme and a proof with its key.
        if refusal := dpop.resource_refusal(token, request.access_token, request):
            request.oauth2_error = refusal
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

    def get_userinfo_claims(self, request):
        # A client that registered userinfo_signed_response_alg gets a signed JWT (OIDC Core §5.3.2).
        return userinfo.signed_userinfo(super().get_userinfo_claims(request), request)

    def get_id_token_dictionary(self, token, token_handler, request):
        id_claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        # DOT's auth_time is the account's last sign-in anywhere; ours is this session's, carried
        # with the code (OIDC Core §2), and acr says how the user signed in.
        code = getattr(request, "code", None)
        record = codes.code_authentication(codes.code_grant(request, code)) if code else None
        auth_time, acr = authn.id_token_authentication(request, record)
        if auth_time is not None:
            id_claims["auth_time"] = auth_time
        if acr:
            id_claims["acr"] = acr
        # RFC 8176: the methods behind that sign-in (pwd, otp, mfa...), when known.
        amr = authn.id_token_amr(request, record)
        if amr:
            id_claims["amr"] = amr
        # Back-Channel Logout 1.0 §2.1: the session's public id, never the session key.
        sid = authn.id_token_sid(request, record)
        if sid:
            id_claims["sid"] = sid
        return id_claims, expiration_time


def _link_issued(source, token: dict) -> None:
    """Hand the project the rows the password grant has just saved with its ``source``."""
    from oauthclients.oauth2.compat import issued_access_token

    access_token = issued_access_token.get()
    checksum = hashlib.sha256(token["access_token"].encode()).hexdigest()
    if access_token is None or access_token.token_checksum != checksum:
        return  # nothing saved by this request
    refresh_token = get_refresh_token_model().objects.filter(access_token=access_token).first()
    get_adapter().password_grant_tokens_issued(source, access_token=access_token, refresh_token=refresh_token)


def announce_reuse(refresh_token: str, client: Client) -> None:
    """Send ``refresh_token_reuse_detected`` when a refused refresh token is a revoked one of this
    client's: DOT (REFRESH_TOKEN_REUSE_PROTECTION) has just revoked its family."""
    checksum = hashlib.sha256(refresh_token.encode()).hexdigest()
    revoked = (
        get_refresh_token_model()
        .objects.filter(token_checksum=checksum, application=client, revoked__isnull=False)
        .select_related("user")
        .first()
    )
    if revoked is not None:
        signals.refresh_token_reuse_detected.send(sender=type(client), client=client, user=revoked.user)
