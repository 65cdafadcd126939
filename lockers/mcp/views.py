"""``/mcp``: our own bearer tokens, bound to this endpoint, with the beer scopes each tool needs.

What a client learns from a refusal (the MCP authorization spec, RFC 6750, RFC 9728):

- no token, or one that is unknown, expired, revoked, or not issued for this endpoint (RFC 8707:
  its ``resource`` must name ``/mcp``; a token for the REST API is no token here): 401 with
  ``WWW-Authenticate: Bearer ... resource_metadata="<origin>/.well-known/oauth-protected-resource/mcp"``,
  where it finds the authorization server and the scopes to ask for;
- a good token without the scopes of the tool it calls: 403 ``insufficient_scope`` naming them, so
  the SDK's client asks the user for them (step-up) and calls again.
"""

import json

from django.urls import reverse
from oauth2_provider.views import OAuthProtectedResourceMetadataView
from oauth2_provider.www_authenticate import build_bearer_challenge
from rest_framework import exceptions, permissions
from rest_framework.views import APIView

from beerlocker_api import resource
from beerlocker_api.authentication import BearerAuthentication
from beerlocker_api.parsers import too_deep
from lockers import conf
from lockers.mcp import bridge
from lockers.mcp.tools import tool_scopes


def resource_identifier(request) -> str:
    """This MCP server's resource identifier (RFC 8707, RFC 9728): the absolute URL of ``/mcp``,
    or ``LOCKERS["MCP_RESOURCE"]`` when set (a path on this site, or a URI: a proxy in front)."""
    origin = f"{request.scheme}://{request.get_host()}"
    return resource.resolve(conf.get("MCP_RESOURCE") or reverse("lockers-mcp:endpoint"), origin)


def resource_metadata_url(request) -> str:
    """Where this resource's RFC 9728 metadata is: the path form for ``/mcp``."""
    return resource.metadata_url(resource_identifier(request))


class McpBearerAuthentication(BearerAuthentication):
    """The API's bearer tokens with this endpoint's identifier: a token must be bound to ``/mcp``
    (one bound to nothing too is refused: the MCP authorization spec wants tokens issued for the
    server that takes them); the challenge is Bearer alone, pointing at ``/mcp``'s metadata."""

    www_authenticate_realm = "mcp"

    def get_resource(self, request) -> str:
        return resource_identifier(request)

    def refuse_other_audiences(self, request, access_token) -> None:
        if not access_token.resource:
            request.oauth2_error = {
                "error": "invalid_token",
                "error_description": resource.NO_AUDIENCE_MESSAGE,
            }
            raise exceptions.AuthenticationFailed(resource.NO_AUDIENCE_MESSAGE)
        super().refuse_other_audiences(request, access_token)

    def authenticate_header(self, request):
        if challenge := self.dpop_challenge(request):  # RFC 9449 §7.1
            return challenge
        # No Basic: an assistant holds a token, never the user's password.
        return build_bearer_challenge(
            request,
            oauth2_error=getattr(request, "oauth2_error", None),
            realm=self.www_authenticate_realm,
            resource_metadata_url=self.get_resource_metadata_url(request),
        )


class InsufficientToolScope(exceptions.PermissionDenied):
    """403 naming the scopes to ask for (RFC 6750 §3.1), with where to ask (RFC 9728)."""

    def __init__(self, request, scopes):
        wanted = " ".join(scopes)
        super().__init__(f"This token does not have the scope this tool needs: {wanted}.")
        self.auth_header = (
            f'Bearer realm="mcp", error="insufficient_scope", scope="{wanted}", '
            f'resource_metadata="{resource_metadata_url(request)}"'
        )


def _called_tools(body: bytes) -> list[str]:
    """The tool names a JSON-RPC message (or batch) calls; what is not JSON-RPC is the SDK's to refuse."""
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can decode
        return []
    if too_deep(message):
        return []
    messages = message if isinstance(message, list) else [message]
    return [
        str(m["params"]["name"])
        for m in messages
        if isinstance(m, dict)
        and m.get("method") == "tools/call"
        and isinstance(m.get("params"), dict)
        and "name" in m["params"]
    ]


class IsUserToken(permissions.BasePermission):
    """A token acting for a user (an application's own token has no locker)."""

    message = "This token acts for no user: an MCP client calls the locker on a user's behalf."

    def has_permission(self, request, view):
        return request.user is not None and request.user.is_authenticated


class McpView(APIView):
    """The MCP endpoint (streamable HTTP, stateless, JSON responses); the tools act for the token's user."""

    authentication_classes = [McpBearerAuthentication]
    permission_classes = [IsUserToken]
    # POST carries every message; a stateless server offers no stream (GET) or session (DELETE).
    http_method_names = ["post", "options"]
    schema = None  # JSON-RPC, not REST: left out of the OpenAPI document

    def post(self, request):
        for name in _called_tools(request._request.body):
            scopes = tool_scopes(name)
            if scopes is not None and not request.auth.allow_scopes(scopes):
                raise InsufficientToolScope(request, scopes)
        return bridge.respond(request._request, user=request.user)


class McpResourceMetadataView(OAuthProtectedResourceMetadataView):
    """RFC 9728 metadata for ``/mcp`` (its path form): the resource, our authorization server, the
    beer scopes."""

    def get_resource(self, request):
        return resource_identifier(request)

    def get_scopes_supported(self):
        scopes = conf.get("BEER_TOKEN_SCOPES")
        return sorted({scope for kind in ("read", "write") for scope in scopes.get(kind, [])})

    def get_resource_name(self):
        return "Beer Locker (MCP)"
