"""Limits on guessing: the one client address every limit counts by, and the failed-sign-in limiter.

Failed passwords (HTTP Basic, the sign-in pages, the password grant) and failed client secrets (the
token, introspection and revocation endpoints) are counted by django-axes in Django's cache (Redis
in production, so every instance counts together), with the policy of ``beerlocker_api.axes``:
(account or client, address) pairs lock at ``AXES_FAILURE_LIMIT``, an address only at the much
higher ``GUESSING_ADDRESS_FAILURE_LIMIT``, an account across addresses is slowed by growing delays,
and a browser that signed in as the account before (its device cookie) is judged on its own
failures alone. docs/security.md gives the numbers and why.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.core import signing
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oauthlib.oauth2.rfc6749 import errors
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from beerlocker_api import conf

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


@dataclass(frozen=True)
class Policy:
    """The guessing limits (defaults in beerlocker_api.conf; the reasoning in docs/security.md)."""

    pair_limit: int
    cool_off_seconds: int
    address_limit: int
    account_delay_after: int
    account_delay_seconds: int
    account_delay_max_seconds: int
    account_memory_seconds: int
    device_cookie_name: str
    device_cookie_age_seconds: int

    def account_delay(self, failures: int) -> int:
        """Seconds the account waits after its ``failures``-th failure across addresses: none
        before ``account_delay_after``, then doubling from ``account_delay_seconds`` to the cap."""
        if failures < self.account_delay_after:
            return 0
        steps = min(failures - self.account_delay_after, 32)
        return min(self.account_delay_seconds * 2**steps, self.account_delay_max_seconds)


def _seconds(value) -> int:
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)


def policy() -> Policy:
    """The limits in force: the project's settings, else beerlocker_api.conf.GUESSING_DEFAULTS."""
    return Policy(
        pair_limit=conf.guessing("AXES_FAILURE_LIMIT"),
        cool_off_seconds=_seconds(conf.guessing("AXES_COOLOFF_TIME")),
        address_limit=conf.guessing("GUESSING_ADDRESS_FAILURE_LIMIT"),
        account_delay_after=conf.guessing("GUESSING_ACCOUNT_DELAY_AFTER"),
        account_delay_seconds=conf.guessing("GUESSING_ACCOUNT_DELAY_SECONDS"),
        account_delay_max_seconds=conf.guessing("GUESSING_ACCOUNT_DELAY_MAX_SECONDS"),
        account_memory_seconds=conf.guessing("GUESSING_ACCOUNT_MEMORY_SECONDS"),
        device_cookie_name=conf.guessing("GUESSING_DEVICE_COOKIE_NAME"),
        device_cookie_age_seconds=conf.guessing("GUESSING_DEVICE_COOKIE_AGE_SECONDS"),
    )


# --- Known browsers (OWASP's "device cookies") ----------------------------------------------------


def _device_salt(username: str) -> str:
    # Per account: a cookie signed for one account never verifies for another.
    return "beerlocker_api.limits.device:" + username


def _device_cookie_name(username: str) -> str:
    # One cookie per account a browser signed in as (a shared computer keeps each one's), named
    # without the username itself.
    return f"{policy().device_cookie_name}_{hashlib.sha256(username.encode()).hexdigest()[:16]}"


def device_cookie(username: str) -> tuple[str, str]:
    """(name, value) of the cookie that makes this browser a known one for ``username``: a random
    id for the browser, signed (``django.core.signing``, the SECRET_KEY) with a per-account salt."""
    value = signing.dumps(secrets.token_urlsafe(16), salt=_device_salt(username))
    return _device_cookie_name(username), value


def known_device(request, username: str) -> str | None:
    """The id of this browser if it carries a valid device cookie for ``username``, else None."""
    cookies = getattr(request, "COOKIES", None) or {}
    value = cookies.get(_device_cookie_name(username))
    if not value:
        return None
    try:
        device = signing.loads(value, salt=_device_salt(username), max_age=policy().device_cookie_age_seconds)
    except signing.BadSignature:
        return None
    return device if isinstance(device, str) else None


# --- Checks ---------------------------------------------------------------------------------------


def _wait(request, username) -> int:
    if not enabled():
        return 0
    from axes.handlers.proxy import AxesProxyHandler

    locked = AxesProxyHandler.is_locked(request, {"username": username})
    return max(getattr(request, "axes_wait", 0), 1) if locked else 0


def wait_message(seconds: int) -> str:
    if seconds < 60:
        wait = ngettext(
            "Wait %(count)d second and try again.", "Wait %(count)d seconds and try again.", seconds
        )
        wait %= {"count": seconds}
    else:
        minutes = max(1, round(seconds / 60))
        wait = ngettext(
            "Wait %(count)d minute and try again.", "Wait %(count)d minutes and try again.", minutes
        )
        wait %= {"count": minutes}
    return _("Too many failed attempts for this account or from this address.") + " " + wait


class TooManyAttempts(exceptions.APIException):
    """The API's 429 for a locked account or address; DRF's handler adds ``Retry-After`` from ``wait``."""

    status_code = 429
    default_code = "throttled"

    def __init__(self, wait: int):
        super().__init__(wait_message(wait))
        self.wait = wait


def user_wait(request, username) -> int:
    """Seconds before a password for ``username`` (known or not) may be tried from this request
    (0: now)."""
    return _wait(request, username)


def password_failed(request, username) -> None:
    """Count a wrong credential given in a password's place (a token as the password grant's
    password) as a failed password for ``username`` from this address."""
    if not enabled():
        return
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_login_failed(
        sender=password_failed, credentials={"username": username}, request=request
    )


def _client_name(client_id) -> str | None:
    # A request that names no client (e.g. an unreadable client assertion) counts against its
    # address alone, never a bucket every such client would share.
    return CLIENT_PREFIX + client_id if isinstance(client_id, str) and client_id else None


def client_wait(request, client_id) -> int:
    """Seconds before a secret for this client may be tried from this request (0: now)."""
    return _wait(request, _client_name(client_id))


def client_secret_failed(request, client_id) -> None:
    """Count a failed client authentication (a wrong or missing secret) for the client and address."""
    if not enabled():
        return
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_login_failed(
        sender=client_secret_failed,
        credentials={"username": _client_name(client_id)},
        request=request,
    )


def user_code_wait(request, user) -> int:
    """Seconds before the signed-in ``user`` may try another device user code from this request
    (0: now). A wrong user code counts like a wrong password for that account from that address:
    the same counters, so one address cannot guess codes under many accounts for free."""
    return _wait(request, user.get_username())


def user_code_failed(request, user) -> None:
    """Count a wrong device user code as a failed password for ``user`` from this address."""
    if not enabled():
        return
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_login_failed(
        sender=user_code_failed, credentials={"username": user.get_username()}, request=request
    )


def one_time_code_wait(request, user) -> int:
    """Seconds before ``user`` may try another second-factor code (an authenticator app's or a
    recovery code) from this request (0: now): the password's counters, so a guesser of codes is
    stopped exactly like a guesser of passwords."""
    return _wait(request, user.get_username())


def one_time_code_failed(request, user) -> None:
    """Count a wrong second-factor code as a failed password for ``user`` from this address."""
    if not enabled():
        return
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_login_failed(
        sender=one_time_code_failed, credentials={"username": user.get_username()}, request=request
    )


def lockout_response(request, response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: what a locked-out sign-in page (the site's, the admin's, the
    browsable API's) answers: a page that says to wait, or the API's JSON under /api/."""
    wait = max(getattr(request, "axes_wait", 0), 1)
    if request.path.startswith("/api/"):
        locked = JsonResponse({"detail": wait_message(wait)}, status=429)
    else:
        try:
            context = {"message": wait_message(wait)}
            locked = render(request, "registration/locked_out.html", context, status=429)
        except TemplateDoesNotExist:  # a project without that page: the message as plain text
            locked = HttpResponse(wait_message(wait), content_type="text/plain; charset=utf-8", status=429)
    locked["Retry-After"] = str(wait)
    return locked


class OAuthTooManyAttempts(errors.OAuth2Error):
    """RFC 6749-shaped 429 for the token, introspection and revocation endpoints."""

    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, wait: int, request=None):
        # RFC 6749's error_description stays English, like every other one oauthlib writes.
        with translation.override("en"):
            description = wait_message(wait)
        super().__init__(description=description, request=request)
        self.wait = wait

    @property
    def headers(self):
        return {"Retry-After": str(self.wait), "Cache-Control": "no-store"}
