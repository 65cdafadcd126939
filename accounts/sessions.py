"""Reading and stamping browser sessions: what a request's session says about where it comes from.

The writes (ending sessions) are services in ``accounts.services``; this module only reads the
request and keeps the session's own facts (``accounts.session_engines``) up to date.
"""

import ipaddress
import time
from dataclasses import dataclass
from functools import lru_cache

from rest_framework.throttling import BaseThrottle

from accounts.models import UserSession, new_session_id
from accounts.session_engines import IP_KEY, PUBLIC_ID_KEY, SEEN_KEY, STARTED_KEY, USER_AGENT_KEY

# "Last active" is written at most this often: one session write a minute, not one per request.
SEEN_RESOLUTION_SECONDS = 60
USER_AGENT_MAX = 512


def client_address(request) -> str | None:
    """The client's address as the project counts it: ``REMOTE_ADDR``, or behind
    ``REST_FRAMEWORK["NUM_PROXIES"]`` trusted proxies the address the outermost one saw (DRF's
    rule, which its throttles use too). None when it is not an IP address."""
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return None


def user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]


def _facts(request, now):
    return {SEEN_KEY: now, IP_KEY: client_address(request), USER_AGENT_KEY: user_agent(request)}


def session_stamp_sign_in(request) -> None:
    """Give a session that just signed in its public id and start (kept across a re-authentication
    of the same user, which keeps the session's data) and its current address and browser."""
    session = request.session
    now = int(time.time())
    session.setdefault(PUBLIC_ID_KEY, new_session_id())
    session.setdefault(STARTED_KEY, now)
    session.update(_facts(request, now))


def session_touch(request) -> None:
    """Note the signed-in session's activity: at most once a minute, or at once when its address or
    browser changed. Sessions without a public id (anonymous ones) are left alone."""
    session = request.session
    if PUBLIC_ID_KEY not in session:
        return
    now = int(time.time())
    facts = _facts(request, now)
    stale = now - session.get(SEEN_KEY, 0) >= SEEN_RESOLUTION_SECONDS
    # A known address or browser that changed is noted at once; one that was unknown (a sign-in
    # without a request behind it, e.g. a test client's login) waits for the minute.
    moved = any(session.get(key) and session.get(key) != facts[key] for key in (IP_KEY, USER_AGENT_KEY))
    if stale or moved:
        session.update(facts)


def session_public_id(request) -> str | None:
    """The public id of the request's session, if it is a signed-in one."""
    session = getattr(request, "session", None)
    return None if session is None else session.get(PUBLIC_ID_KEY)


def current_session(request) -> UserSession | None:
    """The request's own session row (looked up by its key, which never leaves the server)."""
    key = getattr(getattr(request, "session", None), "session_key", None)
    return UserSession.objects.filter(session_key=key).first() if key else None


def session_amr(session: UserSession) -> list[str]:
    """How a stored session signed in: the RFC 8176 methods its sign-in recorded (``pwd``,
    ``otp``, ``mfa``...), read from its data; [] when unknown."""
    from oauthclients.oauth2.oidc.authn import SESSION_AMR

    try:
        amr = session.get_decoded().get(SESSION_AMR)
    except Exception:  # noqa: BLE001 - an undecodable row is just "unknown", as Django treats it
        return []
    return [str(method) for method in amr] if isinstance(amr, list) else []


@dataclass(frozen=True)
class Device:
    browser: str
    os: str

    def __str__(self):
        return f"{self.browser} on {self.os}"


def _version(part) -> str:
    numbers = [n for n in (part.major, part.minor) if n]
    return " ".join([part.family, ".".join(numbers)]).strip()


@lru_cache(maxsize=1024)
def describe_user_agent(value: str) -> Device:
    """Browser and operating system named by a User-Agent (ua-parser's regexes), "Unknown" if none."""
    from ua_parser import parse  # its rules load on first use, not at start-up

    result = parse(value or "")
    browser = _version(result.user_agent) if result.user_agent else "Unknown browser"
    os = _version(result.os) if result.os else "unknown system"
    return Device(browser=browser, os=os)
