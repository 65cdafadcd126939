"""RFC 8693 token exchange at our token endpoint: a provider's token in, our tokens out."""

import json
import logging

from django.db import transaction
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.grant_types.base import GrantTypeBase

from oauthclients.adapter import OAuthClientsAdapter
from oauthclients.grants import REFRESH_TOKEN, TOKEN_EXCHANGE
from socialaccounts import services
from socialaccounts.adapter import get_adapter

log = logging.getLogger(__name__)

SUBJECT_TOKEN_TYPES = {services.ACCESS_TOKEN_TYPE, services.ID_TOKEN_TYPE}
_SINGLE_PARAMS = (
    "grant_type",
    "subject_token",
    "subject_token_type",
    "subject_issuer",
    "requested_token_type",
    "scope",
)


def _registered_grants(client):
    return set(getattr(client, "grant_types", None) or [])


class TokenExchangeGrant(GrantTypeBase):
    """External-to-internal exchange (Keycloak's parameters): the client must be registered for it.

    Plugged into the token endpoint by the project's oauthclients adapter (``extra_grants()``).
    """

    # The token endpoint's form for this grant in the OpenAPI schema (oauthclients.openapi).
    openapi_form = {
        "description": (
            "RFC 8693 token exchange: a token from a connected provider in, this server's tokens out, "
            "for the user whose social account it belongs to. First-party clients only (an "
            "administrator marks them)."
        ),
        "properties": {
            "subject_token": {"type": "string", "description": "The provider's access token or ID token."},
            "subject_token_type": {"type": "string", "enum": sorted(SUBJECT_TOKEN_TYPES)},
            "subject_issuer": {"type": "string", "description": "The provider's name (e.g. github)."},
            "requested_token_type": {"type": "string", "enum": [services.ACCESS_TOKEN_TYPE]},
            "scope": {"type": "string", "description": "Space-separated scopes."},
        },
        "required": ["subject_token", "subject_token_type", "subject_issuer"],
    }

    def __init__(self, request_validator=None, **kwargs):
        super().__init__(request_validator, **kwargs)
        self.token_modifiers = []

    def register_token_modifier(self, modifier):
        """oauthlib's hook: ``modifier(token, token_handler, request)`` returns the token to issue."""
        super().register_token_modifier(modifier)
        self.token_modifiers.append(modifier)

    def create_token_response(self, request, token_handler):
        # RFC 6749 §5.1: token responses are JSON and never cached.
        headers = {"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"}
        try:
            # One transaction: a user or link created for this token never outlives a failed issue.
            with transaction.atomic():
                token = self.exchange(request, token_handler)
        except errors.OAuth2Error as e:
            headers.update(e.headers)
            return headers, e.json, e.status_code
        return headers, json.dumps(token), 200

    def exchange(self, request, token_handler):
        """Validate the request, sign the provider's user in, and issue (and save) our token."""
        self.validate_token_request(request)
        try:
            request.user = services.social_sign_in_with_token(
                provider=request.subject_issuer,
                token=request.subject_token,
                token_type=request.subject_token_type,
            )
        except services.ProviderTokenError as e:
            raise errors.CustomOAuth2Error(
                e.error, description=e.description, status_code=e.status, request=request
            ) from e
        allowed, description = get_adapter().token_exchange_allowed(request.user)
        if not allowed:
            raise errors.InvalidGrantError(description=description, request=request)
        # A refresh token only for a client that registered for the refresh_token grant.
        with_refresh = REFRESH_TOKEN in _registered_grants(request.client)
        token = token_handler.create_token(request, refresh_token=with_refresh)
        token["issued_token_type"] = services.ACCESS_TOKEN_TYPE
        for modifier in self.token_modifiers:
            token = modifier(token, token_handler, request)
        self.request_validator.save_token(token, request)
        log.info(
            "token exchange: client=%s provider=%s user=%s",
            request.client_id,
            request.subject_issuer,
            request.user.pk,
        )
        return token

    def validate_token_request(self, request):
        for validator in self.custom_validators.pre_token:
            validator(request)
        if request.grant_type != TOKEN_EXCHANGE:
            raise errors.UnsupportedGrantTypeError(request=request)
        for param in _SINGLE_PARAMS:
            if param in request.duplicate_params:
                raise errors.InvalidRequestError(description=f"Duplicate {param} parameter.", request=request)
        self.validate_client_authentication(request)
        # The client must have registered this grant type (RFC 7591 grant_types). Checked here rather
        # than through the validator, whose grant table covers RFC 6749's grants only.
        if TOKEN_EXCHANGE not in _registered_grants(request.client):
            raise errors.UnauthorizedClientError(request=request)
        # The exchange issues our tokens with no consent screen, so only a first-party client (DOT's
        # skip_authorization, which only an administrator sets) may use it, as Keycloak requires an
        # explicit token-exchange permission per client.
        if not request.client.skip_authorization:
            raise errors.UnauthorizedClientError(
                description="Token exchange is for first-party clients; an administrator marks a client so.",
                request=request,
            )
        for param in ("subject_token", "subject_token_type", "subject_issuer"):
            if not getattr(request, param, None):
                raise errors.InvalidRequestError(description=f"Missing {param} parameter.", request=request)
        if request.subject_token_type not in SUBJECT_TOKEN_TYPES:
            raise errors.InvalidRequestError(
                description="subject_token_type must be the access_token or id_token type URI.",
                request=request,
            )
        requested = getattr(request, "requested_token_type", None)
        if requested and requested != services.ACCESS_TOKEN_TYPE:
            raise errors.InvalidRequestError(
                description="Only access tokens are issued (requested_token_type).", request=request
            )
        if getattr(request, "actor_token", None):
            raise errors.InvalidRequestError(
                description="Delegation (actor_token) is not supported.", request=request
            )
        self.validate_scopes(request)
        for validator in self.custom_validators.post_token:
            validator(request)


class TokenExchangeAdapter(OAuthClientsAdapter):
    """An oauthclients adapter with RFC 8693 token exchange on the token endpoint: name it in
    ``OAUTHCLIENTS["ADAPTER"]`` (or subclass it) when both apps are installed."""

    def extra_grants(self):
        return {**super().extra_grants(), TOKEN_EXCHANGE: TokenExchangeGrant}
