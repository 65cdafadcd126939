"""The lockers app's own settings: ``settings.LOCKERS`` overrides these defaults."""

from django.conf import settings

DEFAULTS = {
    # The scopes a bearer token needs on the beer endpoints, per kind of method (see
    # beerlocker_api.permissions): name them after the scopes your authorization server grants.
    "BEER_TOKEN_SCOPES": {"read": ["beers:read"], "write": ["beers:write"]},
    # The scopes an application token needs on /api/stats.
    "STATS_TOKEN_SCOPES": {"read": ["stats:read"]},
    # GET /api/stats answers totals at most this many seconds old (0: computed on every call).
    "STATS_CACHE_SECONDS": 30,
    # Beers per page on the "My locker" page (the API's page size is REST_FRAMEWORK's).
    "PAGE_SIZE": 20,
    # lockers.mcp: the MCP server's resource identifier (RFC 8707) when the request's own URL is not
    # it (a proxy rewriting the host or scheme); empty: the absolute URL of /mcp as requested.
    "MCP_RESOURCE": "",
}


def get(name):
    """The value of one lockers setting."""
    return getattr(settings, "LOCKERS", {}).get(name, DEFAULTS[name])
