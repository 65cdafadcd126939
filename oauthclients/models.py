from django.db import models
from oauth2_provider.models import AbstractApplication, ApplicationManager

# RFC 7591 grant type names, as clients register and send them.
AUTHORIZATION_CODE = "authorization_code"
IMPLICIT = "implicit"
PASSWORD = "password"  # noqa: S105 - a grant type name, not a secret
CLIENT_CREDENTIALS = "client_credentials"
REFRESH_TOKEN = "refresh_token"  # noqa: S105
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105

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

    def allows_grant_type(self, *grant_types):
        """True when any of DOT's grant names is covered by this client's registered grant types."""
        registered = set(self.grant_types)
        return any(_DOT_GRANTS.get(grant, {grant}) <= registered for grant in grant_types)

    def get_allowed_schemes(self):
        """DOT's schemes plus this client's own native-app schemes (RFC 8252 §7.1), which our
        registration rules admitted; DOT checks these in ``clean()`` and before every redirect."""
        from oauthclients.validation import private_use_schemes  # validation imports this module

        return [*super().get_allowed_schemes(), *private_use_schemes(self.redirect_uris.split())]
