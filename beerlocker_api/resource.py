"""The API as an OAuth protected resource: its RFC 8707 identifier, the audience check a bearer
token must pass, and where its RFC 9728 metadata lives.

Public helpers another protected resource on the same site (a second API, an MCP endpoint) reuses
with its own identifier: ``resolve``, ``metadata_url``, ``audience_refusal``, ``same_resource``.
"""

import functools
import posixpath
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.translation import gettext_noop

from beerlocker_api import conf

WELL_KNOWN = "/.well-known/oauth-protected-resource"
# English in challenges (error_description); translated where raised as the JSON detail.
WRONG_AUDIENCE_MESSAGE = gettext_noop("The access token is not valid for this resource.")
NO_AUDIENCE_MESSAGE = gettext_noop(
    "The access token names no resource; ask for one with the resource parameter."
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(uri: str) -> str:
    """``<scheme>://<host[:port]>`` of an absolute URI."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def resolve(identifier: str, origin: str) -> str:
    """A resource identifier as given in a setting: a path is on ``origin``, a URI is as is."""
    return origin + identifier if identifier.startswith("/") else identifier


def api_resource_at(origin: str) -> str:
    """The API's identifier (``BEERLOCKER_API["RESOURCE"]``) as seen from ``origin``."""
    return resolve(conf.get("RESOURCE"), origin)


def api_resource(request) -> str:
    """The API's identifier for this request: ``<scheme>://<host>/api/`` unless the setting says."""
    return api_resource_at(f"{request.scheme}://{request.get_host()}")


def api_path() -> str:
    """The path of the API's identifier (``/api/``), for the URLconf's RFC 9728 path form."""
    return urlsplit(resolve(conf.get("RESOURCE"), "http://origin.invalid")).path or "/"


def _normalized(uri: str):
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if not scheme or not parts.hostname or parts.fragment or parts.username is not None:
        return None
    path = posixpath.normpath(parts.path or "/").rstrip("/") or "/"
    return scheme, parts.hostname.lower(), port, path, parts.query


def same_resource(a: str, b: str) -> bool:
    """Whether two resource URIs name the same resource: case of scheme and host, a default port
    and a trailing slash aside (``https://h/api`` is ``https://H:443/api/``)."""
    left = _normalized(a)
    return left is not None and left == _normalized(b)


def metadata_url(resource: str) -> str:
    """The RFC 9728 §3.1 metadata URL of ``resource``: the well-known segment between its host and
    its path (``https://h/api/`` -> ``https://h/.well-known/oauth-protected-resource/api/``)."""
    parts = urlsplit(resource)
    path = "" if parts.path in ("", "/") else parts.path
    return f"{parts.scheme}://{parts.netloc}{WELL_KNOWN}{path}"


def audience_refusal(token, resource: str) -> str | None:
    """Why ``token`` (a DOT access token) may not be used at ``resource``, else None.

    RFC 8707: a token bound to resources is for those only, matched by DOT's configured validator
    (``RESOURCE_SERVER_TOKEN_RESOURCE_VALIDATOR``, a URL-prefix match); a token bound to none is
    for any resource unless ``BEERLOCKER_API["REQUIRE_AUDIENCE"]``. Reads only the token's row.
    """
    if not token.resource:
        return NO_AUDIENCE_MESSAGE if conf.get("REQUIRE_AUDIENCE") else None
    return None if token.allows_audience(resource) else WRONG_AUDIENCE_MESSAGE


def api_scopes() -> list[str]:
    """The scopes the API's views accept from a bearer token (their ``token_scopes``), sorted: the
    metadata's ``scopes_supported``, read from the views so that it cannot drift from them."""
    scopes: set[str] = set()
    for view_class, initkwargs in _views_under(get_resolver(), api_path().lstrip("/")):
        # An instance: some views compute token_scopes from their app's settings (a property).
        token_scopes = getattr(view_class(**initkwargs), "token_scopes", None) or {}
        for names in token_scopes.values():
            scopes.update(names)
    return sorted(scopes)


@functools.cache
def _views_under(resolver, prefix: str) -> list:
    """The (class, initkwargs) of every class-based view routed under ``prefix``."""
    views = []
    for route, callback in _routes(resolver.url_patterns, ""):
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if route.startswith(prefix) and view_class is not None:
            views.append((view_class, getattr(callback, "initkwargs", None) or {}))
    return views


def _routes(patterns, prefix: str):
    for pattern in patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def resource_name() -> str:
    """The API's human-readable name: ``BEERLOCKER_API["RESOURCE_NAME"]``, else the OpenAPI title."""
    return conf.get("RESOURCE_NAME") or getattr(settings, "SPECTACULAR_SETTINGS", {}).get("TITLE", "")
