"""The oauthlib server behind every endpoint (``OAUTH2_SERVER_CLASS`` and ``OIDC_SERVER_CLASS``).

oauthlib's OpenID Connect server, plus:

- the extra grants the project's adapter lists (``OAuthClientsAdapter.extra_grants()``: grant type
  name to oauthlib grant class; Beer Locker adds socialaccounts' RFC 8693 token exchange this
  way); each is built with the server's request validator;
- the device grant (RFC 8628) issuing ID tokens like the code grant: oauthlib's ``DeviceCodeGrant``
  in its OpenID Connect wrapper (``OpenIDDeviceCodeGrant``);
- PKCE held to S256 (RFC 9700 §2.1.1), a custom ``pre_auth`` validator on every grant that issues
  codes, so a "plain" challenge is refused before the user is asked anything; another refuses a
  nonce longer than the code's row keeps.

Imported by settings (``pkce_required``), so models are imported inside functions only.
"""

from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.endpoints import TokenEndpoint
from oauthlib.oauth2.rfc6749.tokens import random_token_generator
from oauthlib.openid import Server as OpenIDServer
from oauthlib.openid.connect.core.grant_types.base import GrantTypeBase as OpenIDGrantTypeBase

from oauthclients.adapter import get_adapter
from oauthclients.grants import CODE_CHALLENGE_METHOD, DEVICE_CODE


def pkce_required(client_id: str) -> bool:
    """DOT's ``PKCE_REQUIRED``: always, except for a confidential client, whose secret binds the
    code to it (an unknown client is refused elsewhere, so True costs nothing)."""
    from oauthclients.models import Client  # settings import this module

    if not isinstance(client_id, str) or "\x00" in client_id:
        return True
    return pkce_required_for(Client.objects.filter(client_id=client_id).first())


def pkce_required_for(client) -> bool:
    """``pkce_required`` for a client already read (None: no such client). A client known by its
    metadata document always: nobody vetted it, whatever keys it publishes. A FAPI 2.0 client
    always (its Security Profile §5.3.2.2)."""
    return (
        client is None
        or client.is_public
        or client.registration_source == client.RegistrationSource.CIMD
        or client.is_fapi2
    )


def require_s256(request) -> dict:
    """Refuse "plain", or no method (which RFC 7636 reads as plain), when a challenge is sent."""
    if request.code_challenge is not None and request.code_challenge_method != CODE_CHALLENGE_METHOD:
        raise errors.InvalidRequestError(
            description=f"code_challenge_method must be {CODE_CHALLENGE_METHOD}.", request=request
        )
    return {}


def limit_nonce(request) -> dict:
    """Refuse a nonce longer than the code's row keeps (DOT's ``Grant.nonce``, 255 characters):
    ``invalid_request`` before the user is asked anything, never a database error when the code
    is saved (PostgreSQL refuses the longer value; SQLite would keep it)."""
    from oauth2_provider.models import get_grant_model  # settings import this module

    limit = get_grant_model()._meta.get_field("nonce").max_length
    if isinstance(request.nonce, str) and len(request.nonce) > limit:
        raise errors.InvalidRequestError(
            description=f"nonce is too long (at most {limit} characters).", request=request
        )
    return {}


class OpenIDDeviceCodeGrant(OpenIDGrantTypeBase):
    """The device grant with OpenID Connect: an ID token when ``openid`` was allowed (OIDC Core
    §3.1.3.3 as for a code; the device flow has no nonce)."""

    def __init__(self, request_validator=None, **kwargs):
        # compat imports the models, which the settings (importing this module) must not.
        from oauthclients.oauth2.compat import DeviceCodeGrant

        self.proxy_target = DeviceCodeGrant(request_validator=request_validator, **kwargs)
        self.register_token_modifier(self.add_id_token)


class Server(OpenIDServer):
    """oauthlib's OpenID Connect server with the app-registered extra grants, S256-only PKCE and
    RFC 9068 JWT access tokens for the clients and resources that get them."""

    def __init__(self, request_validator, *args, **kwargs):
        from oauthclients.oauth2.tokens import jwt_access  # imports DOT's models' modules

        # oauthlib's bearer token asks these two for every token; an opaque token is made as before
        # (DOT's ACCESS_TOKEN_GENERATOR, else oauthlib's random one, which refresh tokens keep).
        opaque = kwargs.get("token_generator") or random_token_generator
        kwargs["refresh_token_generator"] = kwargs.get("refresh_token_generator") or opaque
        kwargs["token_generator"] = jwt_access.token_generator(request_validator, opaque)
        kwargs["token_expires_in"] = jwt_access.token_expires_in(
            request_validator, kwargs.get("token_expires_in") or 3600
        )
        super().__init__(request_validator, *args, **kwargs)
        for grant in (self.auth_grant, self.openid_connect_auth, self.openid_connect_hybrid):
            grant.custom_validators.pre_auth.append(require_s256)
            grant.custom_validators.pre_auth.append(limit_nonce)
        # oauthlib's server builds its device grant the same way (with the server's keyword arguments).
        self.device_code_grant = OpenIDDeviceCodeGrant(request_validator, **kwargs)
        extra = {
            DEVICE_CODE: self.device_code_grant,
            **{
                grant_type: grant_class(request_validator)
                for grant_type, grant_class in get_adapter().extra_grants().items()
            },
        }
        # The token endpoint's public constructor, again, with the extra grants beside oauthlib's.
        TokenEndpoint.__init__(
            self,
            default_grant_type=self.default_grant_type,
            default_token_type=self.default_token_type,
            grant_types={**self.grant_types, **extra},
        )
