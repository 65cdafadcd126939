"""One error shape for the whole API: DRF's ``{"detail": ...}`` or ``{"field": ["message", ...]}``."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from beerlocker_api.signals import rate_limited


def api_exception_handler(exc, context):
    """Turn a service's Django ValidationError into a 400 like a serializer's, then defer to DRF
    (a refused rate also sends ``beerlocker_api.signals.rate_limited``)."""
    if isinstance(exc, exceptions.Throttled):
        view = context.get("view")
        scope = getattr(view, "throttle_scope", None) or "api"
        rate_limited.send(sender=type(view), request=context.get("request"), scope=scope)
    if isinstance(exc, DjangoValidationError):
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, list):
        # A bare list (DRF's search filter refusing a NUL in ?search=) is about the request as a
        # whole: {"detail": ...}, the shape the schema documents, not a JSON array.
        exc = exceptions.ParseError(" ".join(str(message) for message in exc.detail))
    request = context.get("request")
    if isinstance(exc, exceptions.NotAuthenticated) and _is_browsing(request):
        # A person following a link in a browser gets the sign-in page; API clients keep the 401.
        return redirect_to_login(request.get_full_path())
    return exception_handler(exc, context)


def _is_browsing(request):
    """A browser page load: a GET that negotiated the browsable API (``Accept: text/html``)."""
    renderer = getattr(request, "accepted_renderer", None)
    browsable = isinstance(renderer, BrowsableAPIRenderer)
    return request is not None and request.method in ("GET", "HEAD") and browsable


@csrf_exempt  # a POST to an unknown URL is a JSON 404 too, not the CSRF failure page
def api_not_found(request, *args, **kwargs):
    """Unknown URLs under /api/ answer in the API's JSON shape, not with an HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


def not_found(request, exception, *args, **kwargs):
    """The site's 404 page (templates/404.html); JSON under /api/, like every API error."""
    if request.path.startswith("/api/"):
        return api_not_found(request)
    return defaults.page_not_found(request, exception, *args, **kwargs)


def server_error(request, *args, **kwargs):
    """A 500 that says nothing about the failure (JSON under /api/); details go to the server log only."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Internal server error.")}, status=500)
    return defaults.server_error(request, *args, **kwargs)
