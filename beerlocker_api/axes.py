"""django-axes' cache handler (``AXES_HANDLER``) with the project's guessing policy.

axes counts every failure against each of ``AXES_LOCKOUT_PARAMETERS`` and locks when any counter
reaches the one ``AXES_FAILURE_LIMIT``: it cannot give an address a higher limit than an account,
delay rather than lock, or trust a known browser. The handler is axes' documented extension point
(``AXES_HANDLER``; its interface: ``is_locked``, ``get_failures``, ``user_login_failed``,
``user_logged_in``), so the policy lives here, written against django-axes 8.3 (pinned <9 in
pyproject.toml; ``tests/security/test_guessing.py`` fails if the interface underneath changes).
Following OWASP's Credential Stuffing and Authentication cheat sheets and Keycloak's brute-force
detection, with the numbers in ``beerlocker_api.limits.policy`` (docs/security.md says why):

- **(account, address)**: ``AXES_FAILURE_LIMIT`` failures lock that pair for ``AXES_COOLOFF_TIME``
  after the last one. The guesser is stopped; the account's owner elsewhere is not.
- **address**, across accounts: locked only at the much higher ``GUESSING_ADDRESS_FAILURE_LIMIT``,
  so a hundred people behind one office NAT can mistype without locking each other out.
- **account**, across addresses: after ``GUESSING_ACCOUNT_DELAY_AFTER`` failures, each further
  failure makes the account wait before the next attempt, twice as long each time up to
  ``GUESSING_ACCOUNT_DELAY_MAX_SECONDS`` (remembered ``GUESSING_ACCOUNT_MEMORY_SECONDS``): a botnet
  gets a few guesses an hour, and nobody gets a flat lock to hand out.
- **known browser**: a browser that signed in as the account before carries a signed device
  cookie (``beerlocker_api.limits.device_cookie``); its failures count against (account, that
  browser) alone, and nobody else's failures lock it out.

Unknown usernames and clients (``client:`` names, counted like accounts) are limited exactly like
known ones. Every counter is in axes' cache (Redis in production: every instance counts together),
and a check reads all it needs with one ``get_many``. Only imported through the setting, so a
project without django-axes never loads it.
"""

import hashlib
import math
import time

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_client_ip_address, get_client_username
from axes.signals import user_locked_out
from django.conf import settings

from beerlocker_api import limits


def _key(kind: str, *parts: str) -> str:
    # The parts are joined with a character no username or address contains, so no two differ only
    # in where one ends (axes' own keys concatenate, and a username-less pair is the address key).
    return f"axes-{kind}-" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _locked_out(request, username) -> None:
    # axes' own signal (activity records it), as axes' handler sends it.
    user_locked_out.send("axes", request=request, username=username, ip_address=request.axes_ip_address)


class CacheHandler(AxesCacheHandler):
    """axes' cache handler, counting by the project's policy (the module's docstring)."""

    def _keys(self, request, credentials) -> dict[str, str]:
        """The counters this attempt is checked and counted against, by kind."""
        username = get_client_username(request, credentials) or None
        address = get_client_ip_address(request) or None
        device = limits.known_device(request, username) if username else None
        if username and device is not None:  # a device is known for a named account only
            return {"device": _key("device", username, device)}
        keys = {}
        if username is not None:
            keys["account"] = _key("account", username)
            keys["account-until"] = _key("account-until", username)
            if address is not None:
                keys["pair"] = _key("pair", username, address)
        if address is not None:
            keys["address"] = _key("address", address)
        return keys

    def _wait(self, values: dict[str, float], keys: dict[str, str]) -> int:
        """Seconds before this attempt may be made (0: now)."""
        policy = limits.policy()
        count = {kind: values.get(key) or 0 for kind, key in keys.items()}
        wait = 0
        if (
            count.get("pair", 0) >= policy.pair_limit
            or count.get("device", 0) >= policy.pair_limit
            or count.get("address", 0) >= policy.address_limit
        ):
            wait = policy.cool_off_seconds
        until = count.get("account-until", 0)
        if until:
            wait = max(wait, math.ceil(until - time.time()))
        return max(wait, 0)

    def wait(self, request, credentials=None) -> int:
        """Seconds before a sign-in with ``credentials`` may be attempted from ``request`` (0: now)."""
        keys = self._keys(request, credentials)
        checked = {kind: key for kind, key in keys.items() if kind != "account"}
        return self._wait(self.cache.get_many(list(checked.values())), checked)

    def is_locked(self, request, credentials=None) -> bool:
        request.axes_wait = self.wait(request, credentials)
        return request.axes_wait > 0

    def get_failures(self, request, credentials=None) -> int:
        keys = self._keys(request, credentials)
        counters = [key for kind, key in keys.items() if kind in ("pair", "address", "device")]
        return max(self.cache.get_many(counters).values(), default=0)

    def _count(self, key: str, timeout: int) -> int:
        if self.cache.add(key, 1, timeout=timeout):
            return 1
        count = self.cache.incr(key)
        self.cache.touch(key, timeout=timeout)
        return count

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        """Count a failure against the attempt's counters; flag the request when it locks."""
        if request is None:
            return
        username = get_client_username(request, credentials)
        if getattr(request, "axes_locked_out", False):
            # Refused during a lockout: not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT
            # is off), so the lockout lifts by itself.
            request.axes_credentials = credentials
            _locked_out(request, username)
            return
        if self.is_whitelisted(request, credentials):
            return
        policy = limits.policy()
        keys = self._keys(request, credentials)
        values: dict[str, float] = {}
        for kind in ("pair", "address", "device"):
            if kind in keys:
                values[keys[kind]] = self._count(keys[kind], policy.cool_off_seconds)
        if "account" in keys:
            failures = self._count(keys["account"], policy.account_memory_seconds)
            delay = policy.account_delay(failures)
            if delay:
                until = time.time() + delay
                self.cache.set(keys["account-until"], until, timeout=delay)
                values[keys["account-until"]] = until
        request.axes_failures_since_start = max(
            (v for k, v in values.items() if k != keys.get("account-until")), default=0
        )
        wait = self._wait(values, {kind: key for kind, key in keys.items() if kind != "account"})
        if wait:
            request.axes_locked_out = True
            request.axes_wait = wait
            request.axes_credentials = credentials
            _locked_out(request, username)

    def user_logged_in(self, sender, request, user, **kwargs):
        """A successful sign-in makes this browser a known one for the account (the cookie is set
        on the response by ``DeviceCookieMiddleware``)."""
        super().user_logged_in(sender, request, user, **kwargs)
        if request is not None:
            request.axes_device_cookie = limits.device_cookie(user.get_username())


class DeviceCookieMiddleware:
    """Gives a browser that just signed in its device cookie (``MIDDLEWARE``, beside axes' own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return _with_device_cookie(request, self.get_response(request))


def _with_device_cookie(request, response):
    value = getattr(request, "axes_device_cookie", None)
    if value is not None:
        name, signed = value
        policy = limits.policy()
        response.set_cookie(
            name,
            signed,
            max_age=policy.device_cookie_age_seconds,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response
