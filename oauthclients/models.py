from urllib.parse import urlsplit

from django.db import models
from oauth2_provider.models import AbstractApplication, ApplicationManager
from oauth2_provider.settings import oauth2_settings

# RFC 7591 grant type names, as clients register and send them.
AUTHORIZATION_CODE = "authorization_code"
IMPLICIT = "implicit"
PASSWORD = "password"  # noqa: S105 - a grant type name, not a secret
CLIENT_CREDENTIALS = "client_credentials"
REFRESH_TOKEN = "refresh_token"  # noqa: S105
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}

# DOT's one-grant-per-application names, mapped to the RFC 7591 names that allow them.
_DOT_GRANTS = {
    AbstractApplication.GRANT_AUTHORIZATION_CODE: {AUTHORIZATION_CODE},
    AbstractApplication.GRANT_IMPLICIT: {IMPLICIT},
    AbstractApplication.GRANT_PASSWORD: {PASSWORD},
    AbstractApplication.GRANT_CLIENT_CREDENTIALS: {CLIENT_CREDENTIALS},
    # A hybrid response returns a code and a token from the authorization endpoint.
    AbstractApplication.GRANT_OPENID_HYBRID: {AUTHORIZATION_CODE, IMPLICIT},
}


class ClientQuerySet(models.QuerySet):
    def owned_by(self, user):
        """Only the clients ``user`` registered; nothing for an anonymous user."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)


class Client(AbstractApplication):
    """An OAuth client: DOT's application with RFC 7591 metadata and several grant types."""

    class AuthMethod(models.TextChoices):
        CLIENT_SECRET_BASIC = "client_secret_basic", "HTTP Basic with the client secret"
        CLIENT_SECRET_POST = "client_secret_post", "Client secret in the request body"
        NONE = "none", "None (public client)"

    grant_types = models.JSONField(default=list, blank=True, help_text="RFC 7591 grant type names.")
    token_endpoint_auth_method = models.CharField(
        max_length=32, choices=AuthMethod.choices, default=AuthMethod.CLIENT_SECRET_BASIC
    )
    scope = models.TextField(
        blank=True, default="", help_text="Space-separated scopes this client may ask for."
    )
    # A flag an administrator sets, not a scope a client could ask for: introspection reveals
    # every token's owner and scopes, so only our own resource servers may call it.
    allow_introspection = models.BooleanField(
        default=False, help_text="May call the token introspection endpoint (resource servers only)."
    )

    # DOT's default is "no OpenID Connect"; every client of ours gets RS256 ID tokens.
    algorithm = models.CharField(
        max_length=5,
        choices=AbstractApplication.ALGORITHM_TYPES,
        default=AbstractApplication.RS256_ALGORITHM,
        blank=True,
        verbose_name="algorithm",
    )

    # DOT's manager (natural keys) with our owner-scoped reads.
    objects = ApplicationManager.from_queryset(ClientQuerySet)()

    class Meta(AbstractApplication.Meta):
        verbose_name = "OAuth client"

    @property
    def client_name(self) -> str:
        return self.name

    @property
    def owner(self):
        return self.user

    def get_allowed_schemes(self):
        """https, plus http for loopback and the private-use schemes of native apps (RFC 8252 §7)
        when the client registered such a redirect URI; only ever redirects to registered URIs.
        DOT checks these in ``clean()`` and before every redirect."""
        from oauthclients.validation import is_private_use_scheme  # validation imports this module

        schemes = ["https"]
        for uri in self.redirect_uris.split():
            parts = urlsplit(uri)
            if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
                schemes.append("http")
            elif is_private_use_scheme(parts.scheme):
                schemes.append(parts.scheme)
        return list(dict.fromkeys(schemes))

    def allows_grant_type(self, *grant_types):
        """True when any of DOT's grant names is covered by this client's registered grant types."""
        registered = set(self.grant_types)
        return any(_DOT_GRANTS.get(grant, {grant}) <= registered for grant in grant_types)


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
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Code redemption #{self.pk}"


class CodeAuthentication(models.Model):
    """When and how the user signed in, for the ID token an authorization code will buy.

    The token endpoint has no browser session, so ``auth_time`` and ``acr`` travel with the code;
    the row goes when DOT deletes the grant (the code is redeemed or expires).
    """

    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL, on_delete=models.CASCADE, related_name="authentication"
    )
    auth_time = models.DateTimeField()
    acr = models.CharField(max_length=100, blank=True)

    def __str__(self):
        return f"Authentication for grant #{self.grant_id}"
