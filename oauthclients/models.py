from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from oauth2_provider.models import AbstractApplication, ApplicationManager
from oauth2_provider.settings import oauth2_settings

from beerlocker_api.dpop import BINDING_RELATED_NAME
from oauthclients import conf
from oauthclients.grants import (
    CLIENT_CREDENTIALS,
    DEFAULT_ID_TOKEN_SIGNING_ALG,
    DEVICE_CODE,
    FAPI2,
    FAPI2_REFUSED_GRANT_TYPES,
    IMPLICIT,
    JWS_ALGS,
    PASSWORD,
    RESPONSE_TYPE_GRANTS,
    AccessTokenFormat,
    GrantType,
    SecurityProfile,
    TokenEndpointAuthMethod,
    is_public_auth_method,
)
from oauthclients.keys import signing_key
from oauthclients.metadata import from_client

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def grant_enabled(grant: str) -> bool:
    """Whether the server allows this grant type at all (the ``OAUTHCLIENTS`` switches)."""
    if grant == IMPLICIT:
        return conf.get("ALLOW_IMPLICIT_GRANT")
    if grant == PASSWORD:
        return conf.get("ALLOW_PASSWORD_GRANT")
    if grant == DEVICE_CODE:
        return conf.get("ALLOW_DEVICE_GRANT")
    return grant in GrantType.values


class ClientQuerySet(models.QuerySet):
    def owned_by(self, user):
        """Only the clients ``user`` registered; nothing for an anonymous user."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)


class Client(AbstractApplication):
    """An OAuth client: DOT's application with RFC 7591 metadata and several grant types."""

    AuthMethod = TokenEndpointAuthMethod

    grant_types = models.JSONField(default=list, blank=True, help_text="RFC 7591 grant type names.")
    token_endpoint_auth_method = models.CharField(
        max_length=32, choices=AuthMethod.choices, default=AuthMethod.CLIENT_SECRET_BASIC
    )
    scope = models.TextField(
        blank=True, default="", help_text="Space-separated scopes this client may ask for."
    )
    access_token_format = models.CharField(
        max_length=10,
        choices=AccessTokenFormat.choices,
        default=AccessTokenFormat.OPAQUE,
        blank=True,  # a form that leaves it out registers opaque (ClientMetadataRules)
        help_text="Opaque access tokens, or RFC 9068 JWTs that resource servers verify by the server's keys.",
    )
    # RFC 7591 §2: the client's public keys, by value or by reference (never both), for
    # private_key_jwt client assertions and signed request objects.
    jwks = models.JSONField(null=True, blank=True, help_text="The client's public JSON Web Key Set.")
    jwks_uri = models.URLField(max_length=2000, blank=True, help_text="Where the client publishes its keys.")
    # OIDC Registration §2: where the client publishes request objects (the only URLs the server
    # fetches a request_uri from), and the one algorithm its request objects must use.
    request_uris = models.JSONField(default=list, blank=True, help_text="Registered request_uri values.")
    request_object_signing_alg = models.CharField(max_length=10, blank=True)
    # OIDC Registration §2: empty for plain JSON userinfo, else a JWT signed with our OIDC key.
    userinfo_signed_response_alg = models.CharField(max_length=10, blank=True)
    # RFC 7591 §2 display metadata, shown on the consent page and returned as registered.
    logo_uri = models.URLField(max_length=2000, blank=True)
    policy_uri = models.URLField(max_length=2000, blank=True)
    tos_uri = models.URLField(max_length=2000, blank=True)
    # A flag an administrator sets, not a scope a client could ask for: introspection reveals
    # every token's owner and scopes, so only our own resource servers may call it.
    allow_introspection = models.BooleanField(
        default=False, help_text="May call the token introspection endpoint (resource servers only)."
    )
    # OpenID Connect Back-Channel Logout 1.0 §2.2 (DOT's post_logout_redirect_uris serves
    # RP-Initiated Logout): where this server POSTs a logout token when a session ends.
    backchannel_logout_uri = models.CharField(max_length=2000, blank=True, default="")
    backchannel_logout_session_required = models.BooleanField(default=False)
    # RFC 9449 §5.2: every token request must carry a DPoP proof, and every access token is bound.
    dpop_bound_access_tokens = models.BooleanField(default=False)

    # RFC 9126 §6: this client's authorization requests must be pushed (OAUTHCLIENTS'
    # REQUIRE_PUSHED_AUTHORIZATION_REQUESTS makes it so for every client).
    require_pushed_authorization_requests = models.BooleanField(default=False)

    # OIDC Registration §2: the acr values asked for when a request names none (space-separated,
    # in order of preference; voluntary, like acr_values).
    default_acr_values = models.TextField(blank=True, default="")
    # The lowest level this client accepts (empty: any): a sign-in below it is stepped up, or the
    # client hears unmet_authentication_requirements (oauthclients.oauth2.oidc.authn).
    minimum_acr = models.CharField(max_length=100, blank=True, default="")

    # A security profile this client is held to beyond the server's rules: "" or "fapi2" (the
    # FAPI 2.0 Security Profile; oauthclients.oauth2.profiles). OAUTHCLIENTS' SECURITY_PROFILE
    # holds every client to one, whatever this says.
    profile = models.CharField(
        max_length=16,
        choices=SecurityProfile.choices,
        default=SecurityProfile.NONE,
        blank=True,
        help_text="A security profile the client is held to (fapi2: the FAPI 2.0 Security Profile).",
    )

    # OIDC Registration's id_token_signed_response_alg, in DOT's column: what signs this client's
    # ID tokens (oauthclients.keys). DOT's default is "no OpenID Connect"; ours is RS256. "" still
    # means no OpenID Connect, as in DOT; HS256 is DOT's, never offered by registration.
    algorithm = models.CharField(
        max_length=5,
        choices=[
            (AbstractApplication.NO_ALGORITHM, "No OIDC support"),
            *((alg, alg) for alg in JWS_ALGS),
            (AbstractApplication.HS256_ALGORITHM, "HMAC with SHA-2 256"),
        ],
        default=DEFAULT_ID_TOKEN_SIGNING_ALG,
        blank=True,
        verbose_name="ID token signing algorithm",
    )

    # DOT's manager (natural keys) with our owner-scoped reads.
    objects = ApplicationManager.from_queryset(ClientQuerySet)()

    class Meta(AbstractApplication.Meta):
        verbose_name = "OAuth client"

    @property
    def jwk_key(self):
        """DOT's hook for the key that signs this client's ID tokens (and verifies them when DOT
        reads one back): the server's active key for the client's algorithm (oauthclients.keys)."""
        if self.algorithm in JWS_ALGS:
            return signing_key(self.algorithm)
        return super().jwk_key

    @property
    def security_profile(self) -> str:
        """The profile this client is held to: the server-wide one, else its own ("" for none)."""
        return conf.get("SECURITY_PROFILE") or self.profile

    @property
    def is_fapi2(self) -> bool:
        """Held to the FAPI 2.0 Security Profile (registered so, or every client is)."""
        return self.security_profile == FAPI2

    @property
    def is_public(self) -> bool:
        """A client without a secret (RFC 6749 §2.1): the one definition of public vs confidential."""
        return (
            is_public_auth_method(self.token_endpoint_auth_method)
            or self.client_type == AbstractApplication.CLIENT_PUBLIC
        )

    def is_usable(self, request=None) -> bool:
        """DOT's hook, asked wherever a client is loaded (client authentication, the authorization
        endpoint, bearer tokens) and by DCR's management: a client whose owner an administrator
        deactivated stops working until the owner is active again. A client without an owner
        (a first-party one made by a command) depends on no account."""
        return self.user_id is None or self.user.is_active

    @property
    def metadata_document_host(self) -> str:
        """For a client known by its Client ID Metadata Document, the host (and port) that
        publishes it: the one fact about who runs the client the server can vouch for; else ""."""
        if self.registration_source != self.RegistrationSource.CIMD:
            return ""
        return urlsplit(self.client_id).netloc

    def get_allowed_schemes(self):
        """https, plus http for loopback and the private-use schemes of native apps (RFC 8252 §7)
        when the client registered such a redirect URI; only ever redirects to registered URIs.
        DOT checks these in ``clean()`` and before every redirect."""
        from oauthclients.validation import is_private_use_scheme  # validation imports this module

        schemes = ["https"]
        for uri in [*self.redirect_uris.split(), *self.post_logout_redirect_uris.split()]:
            parts = urlsplit(uri)
            if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
                schemes.append("http")
            elif is_private_use_scheme(parts.scheme):
                schemes.append(parts.scheme)
        return list(dict.fromkeys(schemes))

    def metadata(self) -> dict:
        """The client's registration under its RFC 7591 names (the services' arguments)."""
        return from_client(self)

    def allows_grant(self, *grants: str) -> bool:
        """The client registered every one of these grants and the server has them switched on (and
        its profile allows them: FAPI 2.0 has no password or implicit grant)."""
        if self.is_fapi2 and set(grants) & set(FAPI2_REFUSED_GRANT_TYPES):
            return False
        return all(grant in self.grant_types and grant_enabled(grant) for grant in grants)

    def allows_response_type(self, response_type: str) -> bool:
        """The client holds every grant this authorization-endpoint response type needs."""
        grants = RESPONSE_TYPE_GRANTS.get(response_type)
        return grants is not None and self.allows_grant(*grants)

    def registered_scopes(self) -> set[str]:
        """The scopes the client may ask for: its registered ``scope``, else the server default."""
        return set((self.scope or conf.get("DEFAULT_CLIENT_SCOPE")).split())

    def allowed_scopes(self, grant_type: str) -> set[str]:
        """The scopes a token issued through ``grant_type`` may carry for this client."""
        app_scopes = set(conf.get("APP_SCOPES"))
        allowed = self.registered_scopes()
        if not self.skip_authorization:
            allowed -= set(conf.get("FIRST_PARTY_SCOPES"))
        if grant_type == CLIENT_CREDENTIALS:
            # No user is behind the token, so it may hold only application-level scopes.
            return allowed & app_scopes
        # A token that acts for a user never carries application-level scopes.
        return allowed - app_scopes


class AuthorizationCodeRedemption(models.Model):
    """A redeemed authorization code (by checksum) and what was issued from it, to catch replays.

    DOT deletes a grant when its code is exchanged, so without this record a replayed code looks
    like any unknown code. RFC 6749 §4.1.2 asks that a replay revoke what the code produced.
    """

    code_checksum = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="code_redemptions", null=True
    )
    # Checksums, like DOT's own token columns: the tokens may be revoked or rotated since.
    access_token_checksum = models.CharField(max_length=64, blank=True)
    refresh_token_family = models.UUIDField(null=True, blank=True)
    # The sign-in behind the code (from CodeAuthentication), for the ID tokens a refresh issues
    # later: OIDC Core §12.2 keeps auth_time (and acr) those of the original authentication.
    auth_time = models.DateTimeField(null=True, blank=True)
    acr = models.CharField(max_length=100, blank=True)
    # The browser session's public id (the ID token's sid), for refreshed ID tokens too.
    sid = models.CharField(max_length=64, blank=True)
    # The RFC 8176 amr values of that sign-in, space-separated (the ID token's amr).
    amr = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Code redemption #{self.pk}"


class CodeAuthentication(models.Model):
    """When and how the user signed in, for the ID token an authorization code will buy.

    The token endpoint has no browser session, so ``auth_time``, ``acr`` and ``amr`` travel with the code;
    the row goes when DOT deletes the grant (the code is redeemed or expires).
    """

    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL, on_delete=models.CASCADE, related_name="authentication"
    )
    auth_time = models.DateTimeField()
    acr = models.CharField(max_length=100, blank=True)
    # The browser session's public id (the ID token's sid); "" when the session has none.
    sid = models.CharField(max_length=64, blank=True)
    # The RFC 8176 amr values of the sign-in (pwd, otp, mfa...), space-separated; "" when unknown.
    amr = models.CharField(max_length=100, blank=True)

    def __str__(self):
        return f"Authentication for grant #{self.grant_id}"


class SessionClient(models.Model):
    """A client that received a code or tokens in a browser session (by the session's public id):
    who must hear of it when that session ends (Back-Channel Logout 1.0 §2.7)."""

    sid = models.CharField(max_length=64)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="session_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The issuer the client's ID tokens named: its logout token must name the same (§2.6).
    issuer = models.CharField(max_length=2000)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sid", "client"], name="session_client_once")]

    def __str__(self):
        return f"{self.client_id} in session {self.sid}"


class LogoutDeliveryQuerySet(models.QuerySet):
    def due(self, now):
        """Pending deliveries whose next attempt is due, oldest first."""
        return self.filter(status=LogoutDelivery.Status.PENDING, next_attempt__lte=now).order_by(
            "next_attempt"
        )

    def finished_before(self, cutoff):
        """Delivered and failed deliveries created before ``cutoff`` (never a pending one)."""
        return self.filter(
            status__in=[LogoutDelivery.Status.DELIVERED, LogoutDelivery.Status.FAILED], created__lt=cutoff
        )


class LogoutDelivery(models.Model):
    """One back-channel logout token to POST to one client: the outbox ``manage.py logoutworker``
    delivers, retrying with backoff, and the record of how it went. The token itself is signed at
    each attempt (fresh ``iat``/``exp``/``jti``); only what goes in it is kept."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="logout_deliveries")
    issuer = models.CharField(max_length=2000)
    # The token's subject: the user's id as the ID tokens carry it, and the session's public id.
    sub = models.CharField(max_length=255)
    sid = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt = models.DateTimeField(db_index=True)
    # What the last attempt got: "HTTP 200", "HTTP 503", "timeout", "connection error", "refused:
    # non-public address", or why none was sent (never a body).
    last_outcome = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    delivered = models.DateTimeField(null=True, blank=True)

    objects = LogoutDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "logout deliveries"

    def __str__(self):
        return f"Logout for {self.client_id} ({self.status})"


class ClientAssertionUse(models.Model):
    """A private_key_jwt client assertion already used, by its ``jti``, until it could no longer be
    accepted (``expires``: its ``exp`` plus the clock-skew leeway the check grants).

    RFC 7523 §3 lets the server refuse a replayed assertion; the unique constraint makes "first
    use wins" atomic across processes and instances, whatever cache each one has.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="assertion_uses")
    jti_checksum = models.CharField(max_length=64)
    expires = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "jti_checksum"], name="unique_client_assertion_jti")
        ]

    def __str__(self):
        return f"Assertion use #{self.pk}"


class PushedAuthorizationRequestQuerySet(models.QuerySet):
    def expired(self, now):
        """Pushed requests whose request_uri can no longer be used."""
        return self.filter(expires__lte=now)


class PushedAuthorizationRequest(models.Model):
    """An authorization request a client pushed (RFC 9126), until the authorization endpoint uses
    it once or it expires. Only the request_uri's SHA-256 is stored, never the value the client
    holds; the parameters were validated as the authorization endpoint validates them and are not
    secrets (the PKCE challenge, state and nonce, never a verifier)."""

    uri_checksum = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="pushed_requests")
    # The authorization request's parameters, as [name, value] pairs in the order sent.
    parameters = models.JSONField()
    expires = models.DateTimeField(db_index=True)

    objects = PushedAuthorizationRequestQuerySet.as_manager()

    def __str__(self):
        return f"Pushed authorization request #{self.pk}"


# --- DPoP (RFC 9449): tokens and codes bound to a client's key --------------------------------
# Side tables of DOT's models (which this app does not swap), each joined by its reverse one-to-one
# ``dpop_binding`` (beerlocker_api.dpop.BINDING_RELATED_NAME): the API's token lookup joins it in
# the same query, and a row deleted with its token leaves nothing behind.


class AccessTokenBinding(models.Model):
    """An access token usable only with proofs signed by the key whose thumbprint is ``jkt``
    (its ``cnf.jkt``, RFC 9449 §6)."""

    access_token = models.OneToOneField(
        oauth2_settings.ACCESS_TOKEN_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name=BINDING_RELATED_NAME,
    )
    jkt = models.CharField(max_length=43)

    def __str__(self):
        return f"DPoP binding of access token #{self.pk}"


class RefreshTokenBinding(models.Model):
    """A public client's refresh token, usable only with a proof signed by the same key (§5)."""

    refresh_token = models.OneToOneField(
        oauth2_settings.REFRESH_TOKEN_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name=BINDING_RELATED_NAME,
    )
    jkt = models.CharField(max_length=43)

    def __str__(self):
        return f"DPoP binding of refresh token #{self.pk}"


class CodeBinding(models.Model):
    """An authorization code asked for with ``dpop_jkt`` (§10): only a token request proved with
    that key may exchange it."""

    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name=BINDING_RELATED_NAME,
    )
    jkt = models.CharField(max_length=43)

    def __str__(self):
        return f"DPoP binding of grant #{self.pk}"
