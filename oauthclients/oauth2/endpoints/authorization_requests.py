"""What the authorization endpoint accepts beyond DOT's GET: POSTed requests, and the request
objects it declines.

OIDC Core §3.1.2.1: the endpoint MUST take the request by GET and by form-encoded POST. The
consent dialog posts to the same URL, so a POST that passes Django's CSRF check is the user's
answer; any other POST is an authorization request, handled exactly as the same request by GET
would be (which a cross-site page could send anyway): it can show the dialog, never answer it.
"""

from django.http import HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_protect
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauthlib.oauth2.rfc6749.errors import CustomOAuth2Error, MissingRedirectURIError


@csrf_protect
def _csrf_checked(request):
    return HttpResponse()


def is_consent_submission(request) -> bool:
    """True for the consent form's POST: a POST that passes Django's CSRF check."""
    return request.method == "POST" and _csrf_checked(request).status_code == 200


def post_as_get(request) -> None:
    """Turn a POSTed authorization request into the GET it stands for: the parameters move to
    the query, so DOT, the sign-in redirect's ``next`` and the consent form all see them. Empty
    ones are dropped (RFC 6749 §3.1: a parameter without a value is treated as omitted)."""
    params = QueryDict(mutable=True)
    params.update(request.GET)
    for key, values in request.POST.lists():
        if any(values):
            params.setlist(key, [value for value in values if value])
    request.method = "GET"
    request.META["REQUEST_METHOD"] = "GET"
    request.META["QUERY_STRING"] = params.urlencode()
    request.GET = params
    request.POST = QueryDict()


def refuse_request_objects(params, credentials) -> None:
    """OIDC Core §6: this server processes no request objects, so a request that sends one (by
    value or by reference) is refused, redirected to the client with the ``state`` it knows,
    rather than half-served without the parameters inside the object."""
    for name, error in (("request", "request_not_supported"), ("request_uri", "request_uri_not_supported")):
        if name in params:
            raise OAuthToolkitError(
                error=CustomOAuth2Error(
                    error=error,
                    description=f"This server does not support the {name} parameter.",
                    state=credentials.get("state"),
                    request=credentials.get("request"),
                ),
                redirect_uri=credentials["redirect_uri"],
            )


def require_redirect_uri(params, scopes) -> None:
    """OIDC Core §3.1.2.1: an OpenID request MUST name its redirect_uri (plain OAuth may fall back
    to the one registered). Without it there is nowhere trusted to send an error: an error page."""
    if "openid" in scopes and not params.get("redirect_uri"):
        raise FatalClientError(
            error=MissingRedirectURIError(description="An OpenID Connect request must send redirect_uri.")
        )
