"""RFC 8707 resource indicators: which resources a token may be bound to.

A client asks for ``resource`` at the authorization and token endpoints; the server binds tokens
only to its own protected resources (``OAUTHCLIENTS["RESOURCES"]``, by default the API's
identifier), so any other resource is ``invalid_target`` (RFC 8707 §2). Narrowing on a code or
refresh token (a subset of what was granted, never more) is DOT's, in ``_save_bearer_token``.
"""

from django.http import HttpRequest
from oauthlib.oauth2.rfc6749 import errors

from beerlocker_api import resource as api_resource
from oauthclients import conf


def request_origin(request) -> str:
    """``<scheme>://<host>`` of a Django request, or of the one behind an oauthlib request (DOT
    hands oauthlib the request's ``META`` as headers, and a path as its URI)."""
    if not isinstance(request, HttpRequest):
        headers = request.headers
        request = HttpRequest()
        request.META = dict(headers)
        scheme = "https" if headers.get("X_DJANGO_OAUTH_TOOLKIT_SECURE") else "http"
        return f"{scheme}://{request.get_host()}"
    return f"{request.scheme}://{request.get_host()}"


def server_resources(origin: str) -> list[str]:
    """The resources this server issues tokens for, as absolute URIs seen from ``origin``."""
    configured = conf.get("RESOURCES")
    if configured is None:
        return [api_resource.api_resource_at(origin)]
    return [api_resource.resolve(identifier, origin) for identifier in configured]


def unknown_resource(resources, *, origin: str) -> str | None:
    """The first of ``resources`` this server issues no token for, else None."""
    known = server_resources(origin)
    for requested in resources:
        if not any(api_resource.same_resource(requested, ours) for ours in known):
            return requested
    return None


# RFC 8707 §2's error code.
INVALID_TARGET = "invalid_target"


def invalid_target(requested: str, **kwargs) -> errors.CustomOAuth2Error:
    """RFC 8707 §2's error for a resource no token of this server is for."""
    return errors.CustomOAuth2Error(
        error=INVALID_TARGET,
        description=f"The resource '{requested}' is not one this server issues tokens for.",
        **kwargs,
    )


def requested_resources(request) -> list[str]:
    """The ``resource`` values of a token request (oauthlib keeps only the last of repeated body
    parameters; every one counts), as DOT reads them."""
    repeated = [value for key, value in (getattr(request, "decoded_body", None) or []) if key == "resource"]
    if repeated:
        return repeated
    value = getattr(request, "resource", None)
    if isinstance(value, str):
        return [value] if value.strip() else []
    return list(value or [])


def refuse_unknown_resources(request) -> None:
    """Raise ``invalid_target`` when a token request asks for a resource this server does not serve."""
    resources = requested_resources(request)
    if not resources:
        return  # nothing asked (the origin is needed only for a resource to compare)
    requested = unknown_resource(resources, origin=request_origin(request))
    if requested is not None:
        raise invalid_target(requested, request=request)
