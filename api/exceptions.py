"""One error shape for the whole API: DRF's ``{"detail": ...}`` or ``{"field": ["message", ...]}``."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from api.signals import rate_limited


def api_exception_handler(exc, context):
    """Turn a service's Django ValidationError into a 400 like a serializer's, then defer to DRF
    (a refused rate also sends ``api.signals.rate_limited``)."""
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
    return exception_handler(exc, context)


def api_not_found(request, *args, **kwargs):
    """Unknown URLs under /api/ answer in the API's JSON shape, not with an HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request, *args, **kwargs):
    """A 500 that says nothing about the failure (JSON under /api/); details go to the server log only."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return defaults.server_error(request, *args, **kwargs)
