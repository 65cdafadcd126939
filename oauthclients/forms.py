from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from oauthclients import conf
from oauthclients.grants import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    DEFAULT_ID_TOKEN_SIGNING_ALG,
    IMPLICIT,
    JWS_ALGS,
    PASSWORD,
    REFRESH_TOKEN,
    TOKEN_EXCHANGE,
    AccessTokenFormat,
    SecurityProfile,
)
from oauthclients.metadata import PORTAL_FIELDS
from oauthclients.models import Client
from oauthclients.oauth2.oidc import authn
from oauthclients.scopes import scope_words

GRANT_CHOICES = [
    (AUTHORIZATION_CODE, _("Authorization code: users sign in here and allow your app (with PKCE)")),
    (REFRESH_TOKEN, _("Refresh token: keep access without asking again")),
    (CLIENT_CREDENTIALS, _("Client credentials: your app acting for itself (confidential only)")),
    (TOKEN_EXCHANGE, _("Token exchange: trade a provider's token for ours (confidential only)")),
    (IMPLICIT, _("Implicit (discouraged by RFC 9700)")),
    (PASSWORD, _("Resource owner password (discouraged by RFC 9700; confidential only)")),
]
AUTH_METHOD_CHOICES = [
    (
        Client.AuthMethod.CLIENT_SECRET_BASIC,
        _("Confidential, secret sent with HTTP Basic (a server-side app)"),
    ),
    (Client.AuthMethod.CLIENT_SECRET_POST, _("Confidential, secret sent in the request body")),
    (
        Client.AuthMethod.PRIVATE_KEY_JWT,
        _("Confidential, signed JWT (private_key_jwt; register your keys with the API: jwks or jwks_uri)"),
    ),
    (Client.AuthMethod.NONE, _("Public, no secret (a browser or mobile app; uses PKCE)")),
]
PROFILE_CHOICES = [
    (SecurityProfile.NONE, _("None: this server's own rules")),
    (
        SecurityProfile.FAPI2,
        _(
            "FAPI 2.0 Security Profile: private_key_jwt, pushed requests, PKCE, DPoP-bound tokens, "
            "PS256 or ES256 signatures"
        ),
    ),
]
ACCESS_TOKEN_FORMAT_CHOICES = [
    (AccessTokenFormat.OPAQUE, _("Opaque (looked up by the API, introspected by others)")),
    (AccessTokenFormat.JWT, _("JWT (RFC 9068, verified by the server's keys)")),
]

MINIMUM_ACR_CHOICES = [
    ("", _("No: a password or another provider is enough")),
    (authn.ACR_MFA, _("Yes: any second factor (authenticator app, recovery code or passkey)")),
    (authn.ACR_PHR, _("Yes, phishing-resistant: a passkey")),
]


def scope_descriptions() -> list[tuple[str, str, str]]:
    """(name, description, who may hold it) of every scope the server knows, from the scopes
    backend (``OAUTH2_PROVIDER["SCOPES"]``): what the portal shows a developer they can ask for."""
    app_only, first_party = conf.get("APP_SCOPES"), conf.get("FIRST_PARTY_SCOPES")
    return [
        (
            name,
            description,
            gettext(" (applications acting for themselves, client credentials, only)")
            if name in app_only
            else gettext(" (first-party applications only: an administrator decides)")
            if name in first_party
            else "",
        )
        for name, description in scope_words().items()
    ]


class ClientForm(forms.Form):
    """A client's registration as the developer types it, under the RFC 7591 names the services take:
    one form field per ``oauthclients.metadata.PORTAL_FIELDS`` (a test holds them equal); the
    labels, widgets and choices are this page's.

    Only the shape is checked here; every rule is ``oauthclients.services.client_validate``'s, the
    same the REST API and dynamic registration apply, and its errors land on these same fields.
    """

    client_name = forms.CharField(
        label=_("Name"), max_length=255, help_text=_("Users see it on the consent page.")
    )
    redirect_uris = forms.CharField(
        label=_("Redirect URIs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=_(
            "One per line, exactly as your app sends it: https://, http on localhost, or com.example.app:/cb."
        ),
    )
    grant_types = forms.MultipleChoiceField(
        label=_("Grant types"), choices=GRANT_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    token_endpoint_auth_method = forms.ChoiceField(
        label=_("Client type"), choices=AUTH_METHOD_CHOICES, widget=forms.RadioSelect
    )
    access_token_format = forms.ChoiceField(
        label=_("Access tokens"),
        choices=ACCESS_TOKEN_FORMAT_CHOICES,
        initial=AccessTokenFormat.OPAQUE,
        required=False,  # left out: opaque
        widget=forms.RadioSelect,
        help_text=_(
            "JWT access tokens (RFC 9068) are verified by resource servers with our published "
            "keys; they live 5 minutes, so refresh them."
        ),
    )
    scope = forms.CharField(
        label=_("Scopes"),
        required=False,
    )
    post_logout_redirect_uris = forms.CharField(
        label=_("Return pages after sign-out"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=_(
            "post_logout_redirect_uris: where signing out (RP-initiated logout) may send users "
            "back to; one per line, same rules as redirect URIs."
        ),
    )
    backchannel_logout_uri = forms.CharField(
        label=_("Back-channel logout URI"),
        required=False,
        help_text=_("We POST a logout token here when a user's session ends (https)."),
    )
    backchannel_logout_session_required = forms.BooleanField(
        label=_("Require the session id (sid) in logout tokens"), required=False
    )
    dpop_bound_access_tokens = forms.BooleanField(
        label=_("DPoP-bound access tokens only"),
        required=False,
        help_text=_("Every token request must carry a DPoP proof (RFC 9449); tokens are bound to its key."),
    )
    id_token_signed_response_alg = forms.ChoiceField(
        label="ID token signature",
        choices=[(alg, alg) for alg in JWS_ALGS],
        initial=DEFAULT_ID_TOKEN_SIGNING_ALG,
        required=False,
        help_text="id_token_signed_response_alg: how we sign your ID tokens (keys at our JWKS).",
    )
    require_pushed_authorization_requests = forms.BooleanField(
        label="Only pushed authorization requests (PAR)",
        required=False,
        help_text="require_pushed_authorization_requests: your app POSTs each authorization request to "
        "/api/oauth2/par first; any other is refused.",
    )
    default_acr_values = forms.CharField(
        label=_("Default sign-in level (acr)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=_(
            "default_acr_values: asked for when your app's request names no acr_values; one per "
            "line, preferred first. Users who cannot reach it sign in at the level they can."
        ),
    )
    minimum_acr = forms.ChoiceField(
        label=_("Require a second factor"),
        choices=MINIMUM_ACR_CHOICES,
        required=False,
        help_text=_(
            "minimum_acr: users must confirm a second factor (or a passkey) to sign in to your app; "
            "users without one are asked to set one up."
        ),
    )
    profile = forms.ChoiceField(
        label=_("Security profile"),
        choices=PROFILE_CHOICES,
        initial=SecurityProfile.NONE,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "profile: the FAPI 2.0 Security Profile holds your app to stricter rules (docs/oauth.md)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = conf.get("DEFAULT_CLIENT_SCOPE")
        self.fields["scope"].help_text = format_html(
            gettext("Space-separated, e.g. {example} profile. Empty: {default}. The scopes there are:")
            + '<ul class="scopes">{scopes}</ul>',
            example=default,
            default=default,
            scopes=format_html_join("", "<li><code>{}</code>: {}{}</li>", scope_descriptions()),
        )

    @classmethod
    def initial_for(cls, client):
        metadata = client.metadata()
        return {field.name: field.to_form(metadata[field.name]) for field in PORTAL_FIELDS}

    def service_fields(self) -> dict:
        """The cleaned data as ``client_create`` / ``client_update`` keyword arguments."""
        return {field.name: field.from_form(self.cleaned_data[field.name]) for field in PORTAL_FIELDS}
