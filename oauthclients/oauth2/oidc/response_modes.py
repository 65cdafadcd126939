"""``response_mode`` (OAuth 2.0 Multiple Response Type Encoding Practices, OAuth 2.0 Form Post).

oauthlib answers in ``query`` or ``fragment`` (and turns any other mode into the response type's
default); ``form_post`` is built here from the redirect oauthlib produced: the same parameters,
sent by the browser as a POST to the redirect URI.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.template.response import TemplateResponse

QUERY = "query"
FRAGMENT = "fragment"
FORM_POST = "form_post"
RESPONSE_MODES_SUPPORTED = [QUERY, FRAGMENT, FORM_POST]


def response_parameters(location: str, redirect_uri: str | None) -> tuple[str, list[tuple[str, str]]]:
    """(the redirect URI, the response parameters) of a redirect oauthlib built: its query and
    fragment, less the query the registered redirect URI carries itself."""
    parts = urlsplit(location)
    own_query = parse_qsl(urlsplit(redirect_uri).query, keep_blank_values=True) if redirect_uri else []
    params = [
        *parse_qsl(parts.query, keep_blank_values=True),
        *parse_qsl(parts.fragment, keep_blank_values=True),
    ]
    added = [pair for pair in params if pair not in own_query]
    action = redirect_uri or urlunsplit(parts._replace(query="", fragment=""))
    return action, added


def response_mode(params) -> str:
    """Where the response to these authorization-request parameters goes: the ``response_mode``
    asked for, else the response type's default, the fragment for any type that returns a token
    through the browser (Multiple Response Types §2.1, §5), the query otherwise."""
    mode = params.get("response_mode")
    if mode in RESPONSE_MODES_SUPPORTED:
        return mode
    response_type = set((params.get("response_type") or "").split())
    return FRAGMENT if response_type & {"token", "id_token"} else QUERY


def in_fragment(location: str, redirect_uri: str | None) -> str:
    """``location`` with the response parameters in its fragment. DOT builds every error redirect
    (and oauthlib-free ones such as prompt=none's login_required) with a query."""
    action, params = response_parameters(location, redirect_uri)
    return urlunsplit(urlsplit(action)._replace(fragment=urlencode(params)))


def form_post_response(request, location: str, redirect_uri: str | None) -> TemplateResponse:
    """The page that POSTs the authorization response to the client (script in a static file,
    a button without JavaScript), under a CSP that allows no inline script, style or frame."""
    action, fields = response_parameters(location, redirect_uri)
    response = TemplateResponse(request, "oauthclients/form_post.html", {"action": action, "fields": fields})
    # No form-action: browsers check it against the redirects that follow the POST too, and a
    # client may well send the user on to another origin of its own after the callback.
    response["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    response["Cache-Control"] = "no-store"
    return response
