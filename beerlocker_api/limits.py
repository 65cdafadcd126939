"""Limits on guessing: the one client address every limit counts by, and the failed-sign-in limiter.

Failed passwords (HTTP Basic, the sign-in pages, the password grant) and failed client secrets (the
token, introspection and revocation endpoints) are counted by django-axes in Django's cache (Redis
in production, so every instance counts together), per account or client and per client address.
Past ``AXES_FAILURE_LIMIT`` failures the account or address is refused, correct password or not,
until ``AXES_COOLOFF_TIME`` has passed since its last counted failure.
"""

from django.apps import apps
from django.http import JsonResponse
from django.shortcuts import render
from oauthlib.oauth2.rfc6749 import errors
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

# A prefix no username can carry (Django's username validator refuses ":"), so a client's
# counter is never an account's.
CLIENT_PREFIX = "client:"


def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or with DRF's ``NUM_PROXIES = N`` the address
    the outermost of the N trusted proxies saw (DRF's ``NUM_PROXIES`` rule, which DRF's throttles use
    too). A client-sent ``X-Forwarded-For`` never chooses its own address."""
    return BaseThrottle().get_ident(request)


def enabled() -> bool:
    """Whether the project installs django-axes (Beer Locker does; a project that reuses an app
    without it, e.g. oauthclients alone, simply has no guessing limits)."""
    return apps.is_installed("axes")


def retry_after() -> int:
    """Seconds until a refused account or address may try again (at most; the counter's own expiry)."""
    from axes.helpers import get_cool_off  # axes' models load only once the app is installed

    return int(get_cool_off().total_seconds())


def wait_message() -> str:
    minutes = max(1, round(retry_after() / 60))
    return (
        "Too many failed attempts for this account or from this address. "
        f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again."
    )


class TooManyAttempts(exceptions.APIException):
    """The API's 429 for a locked account or address; DRF's handler adds ``Retry-After`` from ``wait``."""

    status_code = 429
    default_code = "throttled"

    def __init__(self):
        super().__init__(wait_message())
        self.wait = retry_after()


def is_user_locked(request, username) -> bool:
    """Whether password attempts for ``username`` (known or not) or from this address are refused."""
    if not enabled():
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": username})


def is_client_locked(request, client_id) -> bool:
    """Whether secret attempts for this client or from this address are refused."""
    if not enabled():
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": CLIENT_PREFIX + (client_id or "")})


def client_secret_failed(request, client_id) -> None:
    """Count a failed client authentication (a wrong or missing secret) for the client and address."""
    if not enabled():
        return
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_login_failed(
        sender=client_secret_failed,
        credentials={"username": CLIENT_PREFIX + (client_id or "")},
        request=request,
    )


def lockout_response(request, response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: what a locked-out sign-in page (the site's, the admin's, the
    browsable API's) answers: a page that says to wait, or the API's JSON under /api/."""
    if request.path.startswith("/api/"):
        locked = JsonResponse({"detail": wait_message()}, status=429)
    else:
        locked = render(request, "registration/locked_out.html", {"message": wait_message()}, status=429)
    locked["Retry-After"] = str(retry_after())
    return locked


class OAuthTooManyAttempts(errors.OAuth2Error):
    """RFC 6749-shaped 429 for the token, introspection and revocation endpoints."""

    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, request=None):
        super().__init__(description=wait_message(), request=request)

    @property
    def headers(self):
        return {"Retry-After": str(retry_after()), "Cache-Control": "no-store"}
