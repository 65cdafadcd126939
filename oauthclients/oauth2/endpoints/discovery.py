"""RFC 8414 authorization server metadata and OpenID Connect discovery: DOT's documents, made to
advertise only what this server really allows; and the JWKS, with every key the server signs with."""

import json

from django.http import JsonResponse
from django.urls import reverse
from oauth2_provider import views as dot_views
from oauth2_provider.oauth2_backends import get_oauthlib_core

from beerlocker_api import dpop
from oauthclients import conf
from oauthclients.adapter import get_adapter
from oauthclients.grants import (
    CLIENT_KEY_SIGNING_ALGS,
    CODE_CHALLENGE_METHOD,
    CONFIDENTIAL_AUTH_METHODS,
    DEVICE_CODE,
    IMPLICIT,
    OAUTH2_RESPONSE_TYPES,
    PROMPT_VALUES,
    RESPONSE_TYPE_GRANTS,
    TOKEN_ENDPOINT_AUTH_METHODS,
)
from oauthclients.keys import public_jwks
from oauthclients.models import grant_enabled
from oauthclients.oauth2 import profiles
from oauthclients.oauth2.oidc import features


def supported_grant_types():
    """The grant types this server accepts right now: its token endpoint's own (so a grant the
    adapter adds, such as token exchange, is listed, even one clients do not register for) plus
    implicit, switches applied."""
    token_grants = get_oauthlib_core().server.grant_types
    extra = get_adapter().extra_grants()
    grants = [IMPLICIT, *token_grants]
    return [grant for grant in grants if grant in extra or grant_enabled(grant)]


def supported_response_types(oidc):
    response_types = RESPONSE_TYPE_GRANTS if oidc else OAUTH2_RESPONSE_TYPES
    return [
        response_type
        for response_type in response_types
        if all(grant_enabled(grant) for grant in RESPONSE_TYPE_GRANTS[response_type])
    ]


class DiscoveryMixin:
    """Rewrite DOT's discovery document so it advertises only what this server really allows."""

    oidc = False

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data.update(
            grant_types_supported=supported_grant_types(),
            response_types_supported=supported_response_types(self.oidc),
            code_challenge_methods_supported=[CODE_CHALLENGE_METHOD],
            token_endpoint_auth_methods_supported=TOKEN_ENDPOINT_AUTH_METHODS,
            # private_key_jwt assertions are verified with these (OIDC Discovery, RFC 8414 §2).
            token_endpoint_auth_signing_alg_values_supported=CLIENT_KEY_SIGNING_ALGS,
            # RFC 9126 §5: pushed authorization requests, always accepted; required for every
            # client when the server says so (a client may also register that it requires them).
            pushed_authorization_request_endpoint=request.build_absolute_uri(
                reverse("oauth2_provider:pushed-authorization-request")
            ),
            require_pushed_authorization_requests=conf.get("REQUIRE_PUSHED_AUTHORIZATION_REQUESTS"),
            authorization_response_iss_parameter_supported=True,
        )
        # RFC 9449 §5.1: DPoP proofs at the token endpoint (and every protected resource).
        data["dpop_signing_alg_values_supported"] = dpop.signing_algs()
        data.update(features.discovery_metadata(request, oidc=self.oidc))
        if grant_enabled(DEVICE_CODE):
            # RFC 8628 §4.
            data["device_authorization_endpoint"] = request.build_absolute_uri(
                reverse("oauth2_provider:device-authorization")
            )
        data["scopes_supported"] = sorted(data["scopes_supported"])
        if "revocation_endpoint" in data:
            data["revocation_endpoint_auth_methods_supported"] = TOKEN_ENDPOINT_AUTH_METHODS
        if "introspection_endpoint" in data:
            data["introspection_endpoint_auth_methods_supported"] = CONFIDENTIAL_AUTH_METHODS
        if self.oidc:
            # RFC 8414 endpoints, which OpenID Connect discovery may carry too: relying parties
            # (social-core's OIDC backend among them) find introspection and revocation here.
            data.setdefault(
                "revocation_endpoint", request.build_absolute_uri(reverse("oauth2_provider:revoke-token"))
            )
            data.setdefault(
                "introspection_endpoint", request.build_absolute_uri(reverse("oauth2_provider:introspect"))
            )
            data["claims_supported"] = sorted({*data["claims_supported"], *features.ID_TOKEN_CLAIMS})
            data["prompt_values_supported"] = list(PROMPT_VALUES)
        # OAUTHCLIENTS["SECURITY_PROFILE"] = "fapi2": only what the FAPI 2.0 profile allows.
        data = profiles.discovery_metadata(data)
        cleaned = JsonResponse(data, status=response.status_code)
        cleaned["Access-Control-Allow-Origin"] = "*"
        return cleaned


class JwksView(dot_views.JwksInfoView):
    """The server's public keys (oauthclients.keys.public_jwks): DOT's view publishes its RSA keys
    for RS256 only; this one publishes each key once per algorithm it signs (RS256 and PS256 for
    the RSA keys, ES256 for the EC keys), with DOT's headers (CORS, caching)."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        published = JsonResponse({"keys": public_jwks()})
        for header in ("Access-Control-Allow-Origin", "Cache-Control"):
            published[header] = response[header]
        return published


class OAuthServerMetadataView(DiscoveryMixin, dot_views.OAuthServerMetadataView):
    """RFC 8414 authorization server metadata."""


class ConnectDiscoveryInfoView(DiscoveryMixin, dot_views.ConnectDiscoveryInfoView):
    """OpenID Connect discovery."""

    oidc = True
