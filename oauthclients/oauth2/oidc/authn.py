"""How and when the user signed in: ``auth_time``, ``acr``, ``amr`` and ``max_age`` (OIDC Core §2,
§3.1.2.1; RFC 8176 for the ``amr`` values).

Every sign-in (the password form, sign-up, a social provider, Django's test client) goes through
``django.contrib.auth.login``, whose ``user_logged_in`` signal calls ``record_sign_in``: the time
and the method go into the session. The authorization endpoint reads them back to decide whether
``max_age`` forces a new sign-in, and hands them to the validator with the request's credentials;
the validator keeps them with the authorization code (``CodeAuthentication``) so the token endpoint,
which has no browser session, can put them in the ID token.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.utils.module_loading import import_string

from oauthclients.models import AuthorizationCodeRedemption, CodeAuthentication
from oauthclients.oauth2.logout import backchannel

# The ``acr`` values this server achieves (advertised in discovery's acr_values_supported).
ACR_PASSWORD = "urn:beerlocker:acr:password"  # noqa: S105 - a name, not a secret
ACR_PROVIDER = "urn:beerlocker:acr:provider"
# A second factor after the first (a one-time code or a recovery code after a password or a
# provider), and a phishing-resistant one (a passkey: bound to the site's origin). A project that
# checks a second factor calls ``record_second_factor`` once it did.
ACR_MFA = "urn:beerlocker:acr:mfa"
ACR_PHR = "urn:beerlocker:acr:phr"
ACR_VALUES_SUPPORTED = [ACR_PASSWORD, ACR_PROVIDER, ACR_MFA, ACR_PHR]
# How strong each level is: a password and a provider are one factor each (neither is stronger),
# a second factor is more, a phishing-resistant one the most. A level satisfies any at or below it.
ACR_RANK = {ACR_PASSWORD: 1, ACR_PROVIDER: 1, ACR_MFA: 2, ACR_PHR: 3}
# What a client may register as its ``minimum_acr``: the levels above one factor.
MINIMUM_ACR_VALUES = [ACR_MFA, ACR_PHR]

# RFC 8176 authentication method references (the ID token's ``amr``), the ones this server uses.
AMR_PASSWORD = "pwd"  # noqa: S105 - a name, not a secret
AMR_OTP = "otp"
AMR_MFA = "mfa"
AMR_HARDWARE_KEY = "hwk"
AMR_SOFTWARE_KEY = "swk"
AMR_USER_PRESENCE = "user"

SESSION_AUTH_TIME = "oidc_auth_time"
SESSION_ACR = "oidc_acr"
# The RFC 8176 ``amr`` values of the session's sign-in, a list (empty when unknown, e.g. a provider).
SESSION_AMR = "oidc_amr"
# A second factor checked before the sign-in completes (``second_factor_checked``), and how long
# that check counts for the ``login()`` that should follow it.
SESSION_SECOND_FACTOR = "oidc_second_factor"
SECOND_FACTOR_FRESH_SECONDS = 10 * 60
# The authorization requests this browser was sent to sign in again for (max_age), by a digest of
# the request's URL, with when: a sign-in after that satisfies THAT request once, however long the
# user took (max_age=0 included), and no other request (OIDC Core §3.1.2.1: the OP MUST
# re-authenticate for each request whose max_age the sign-in exceeds).
SESSION_REAUTH_PENDING = "oidc_reauth_pending"
# A request the user never came back to is forgotten after this long, and only the latest few
# are kept: the session stays small whatever a page makes the browser open.
REAUTH_PENDING_SECONDS = 3600
REAUTH_PENDING_MAX = 8


def acr_rank(acr: str | None) -> int:
    """How strong ``acr`` is (``ACR_RANK``); 0 for None or a value this server does not know."""
    return ACR_RANK.get(acr or "", 0)


def acr_satisfies(achieved: str | None, wanted: str | None) -> bool:
    """True when a sign-in at level ``achieved`` is at least the level ``wanted``: ``mfa`` satisfies
    ``password`` and ``provider``, ``phr`` satisfies ``mfa``, nothing satisfies an unknown level and
    an unknown (or no) sign-in level satisfies nothing; nothing wanted (None) is always satisfied."""
    if not wanted:
        return True
    return acr_rank(wanted) > 0 and acr_rank(achieved) >= acr_rank(wanted)


@dataclass(frozen=True)
class AcrRequest:
    """The levels an authorization request asks for: known ``values`` in order of preference, and
    whether the client said they are ``essential`` (the claims parameter's ``id_token.acr``)."""

    values: tuple[str, ...] = ()
    essential: bool = False


def _claims_acr(claims) -> AcrRequest | None:
    """The claims parameter's ``id_token.acr`` request (OIDC Core §5.5.1.1), or None without one.
    ``claims`` is the parameter's JSON text or oauthlib's parsed object."""
    if isinstance(claims, str):
        try:
            claims = json.loads(claims)
        except ValueError:
            return None  # oauthlib answers invalid_request for JSON it cannot read
    id_token = claims.get("id_token") if isinstance(claims, dict) else None
    acr = id_token.get("acr") if isinstance(id_token, dict) else None
    if not isinstance(acr, dict):
        return None
    listed = acr.get("values")
    values: list = listed if isinstance(listed, list) else [acr.get("value")]
    asked = [value for value in values if isinstance(value, str) and value]
    essential = acr.get("essential") is True
    known = tuple(value for value in asked if value in ACR_RANK)
    if essential and asked and not known:
        # Essential, yet only levels this server never reaches: nothing can satisfy it.
        return AcrRequest(values=tuple(asked), essential=True)
    return AcrRequest(values=known, essential=essential)


def requested_acr(params, client) -> AcrRequest:
    """What the request asks for: the claims parameter's ``id_token.acr`` (voluntary unless
    essential), else ``acr_values`` (voluntary), else the client's ``default_acr_values``. Values
    this server does not know are left out of a voluntary request (OIDC Core §3.1.2.1)."""
    if (from_claims := _claims_acr(params.get("claims"))) is not None and from_claims.values:
        return from_claims
    values = (params.get("acr_values") or "").split()
    if not values and client is not None:
        values = (getattr(client, "default_acr_values", "") or "").split()
    return AcrRequest(values=tuple(value for value in values if value in ACR_RANK))


@dataclass(frozen=True)
class StepUp:
    """What the authorization endpoint does about the session's level: nothing (both None), ask
    for a second factor to reach ``acr``, or give up because a required level is out of reach
    (``unmet``: ``UNMET_ESSENTIAL`` for the request's, ``UNMET_MINIMUM`` for the client's)."""

    acr: str | None = None
    unmet: str | None = None


UNMET_ESSENTIAL = "essential"
UNMET_MINIMUM = "minimum"
# OpenID Connect Core 1.0 errata set 2, §3.1.2.6: the OP could not authenticate the user as an
# essential acr (or the client's own minimum) demands.
UNMET_AUTHENTICATION_REQUIREMENTS = "unmet_authentication_requirements"


def step_up_decision(*, achieved: str | None, wanted: AcrRequest, minimum: str, reachable) -> StepUp:
    """Decide what a signed-in session at level ``achieved`` needs for a request asking ``wanted``
    from a client whose floor is ``minimum`` ("" for none). ``reachable()`` lists the levels the
    user can reach by confirming a factor they have; it is called only when the session is not
    already enough (it costs queries).

    The first wanted level the user has or can reach is the target; a voluntary request nobody
    can meet goes on at the session's level (the ID token says which). The client's minimum is
    always a requirement."""
    wanted_values = wanted.values
    if all(acr_satisfies(achieved, value) for value in wanted_values[:1]) and acr_satisfies(
        achieved, minimum
    ):
        return StepUp()  # the preferred level, and the floor, are met already
    levels = [level for level in reachable() if level in ACR_RANK]

    def can_reach(level: str) -> bool:
        return acr_satisfies(achieved, level) or any(acr_satisfies(have, level) for have in levels)

    target = next((value for value in wanted_values if can_reach(value)), None)
    if target is None and wanted.essential and wanted_values:
        return StepUp(unmet=UNMET_ESSENTIAL)
    if minimum and not acr_satisfies(target or achieved, minimum):
        if not can_reach(minimum):
            return StepUp(unmet=UNMET_MINIMUM)
        target = minimum
    if target is not None and not acr_satisfies(achieved, target):
        return StepUp(acr=target)
    return StepUp()


def acr_for_backend(backend_path: str | None) -> str | None:
    """The password ``acr`` for Django's own backends, the provider one for any other (social
    sign-in); None when the backend is not known."""
    try:
        backend = import_string(backend_path) if backend_path else None
    except ImportError:
        return None
    if not isinstance(backend, type):
        return None
    return ACR_PASSWORD if issubclass(backend, ModelBackend) else ACR_PROVIDER


def record_sign_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: remember in the session when and how the user signed in."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[SESSION_AUTH_TIME] = time.time()
    # login() names the backend in the session (authenticate() also sets user.backend, but a
    # sign-up's login(user, backend=...) does not).
    backend = request.session.get(BACKEND_SESSION_KEY) or getattr(user, "backend", None)
    acr = acr_for_backend(backend)
    request.session[SESSION_ACR] = acr
    request.session[SESSION_AMR] = [AMR_PASSWORD] if acr == ACR_PASSWORD else []
    checked = request.session.pop(SESSION_SECOND_FACTOR, None)
    if (
        isinstance(checked, dict)
        and checked.get("user") == str(user.pk)
        and time.time() - float(checked.get("at", 0)) <= SECOND_FACTOR_FRESH_SECONDS
    ):
        record_second_factor(request, methods=checked["methods"], phishing_resistant=checked["phr"])


def second_factor_checked(request, *, user, methods: list[str], phishing_resistant: bool = False) -> None:
    """A second factor of ``user`` was checked in this browser before the ``login()`` that follows
    (in this request, or a provider's pipeline resumed moments later): ``record_sign_in`` then
    records it (``record_second_factor``). Unused, it is forgotten after a few minutes."""
    request.session[SESSION_SECOND_FACTOR] = {
        "user": str(user.pk),
        "methods": list(methods),
        "phr": phishing_resistant,
        "at": time.time(),
    }


def record_second_factor(request, *, methods: list[str], phishing_resistant: bool = False) -> None:
    """Note that the session's sign-in (already recorded by ``record_sign_in``) was completed with
    a second factor, whose RFC 8176 ``methods`` (e.g. ``["otp"]``) join the first factor's: the
    ``acr`` becomes ``ACR_MFA`` (``ACR_PHR`` for a phishing-resistant factor) and ``amr`` gains
    ``mfa``. Call it right after ``login()``, in the same request."""
    amr = [*request.session.get(SESSION_AMR, []), *methods]
    if AMR_MFA not in amr:
        amr.append(AMR_MFA)
    request.session[SESSION_AMR] = list(dict.fromkeys(amr))
    request.session[SESSION_ACR] = ACR_PHR if phishing_resistant else ACR_MFA


def session_amr(request) -> list[str]:
    """The RFC 8176 ``amr`` of the session's sign-in ([] when unknown)."""
    session = getattr(request, "session", None)
    return list(session.get(SESSION_AMR) or []) if session is not None else []


def session_authentication(request) -> tuple[float | None, str | None]:
    """(auth_time, acr) of the signed-in user's session; a session from before this was tracked
    falls back to the account's last sign-in and an unknown method."""
    auth_time = request.session.get(SESSION_AUTH_TIME)
    if auth_time is None and request.user.last_login is not None:
        auth_time = request.user.last_login.timestamp()
    return auth_time, request.session.get(SESSION_ACR)


def parse_max_age(value) -> int | None:
    """``max_age`` as seconds, or None when absent or not a non-negative integer."""
    if value is None or not str(value).isdigit():
        return None
    return int(value)


def _request_digest(request) -> str:
    """Names one authorization request: its URL as the sign-in page's ``next`` brings it back."""
    return hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]


def reauthentication_due(request, params) -> bool:
    """True when the request carries a ``max_age`` that the session's last sign-in exceeds, unless
    the user signed in again because of this very request (``reauthentication_requested``): that
    sign-in satisfies it once, and is forgotten as it does."""
    max_age = parse_max_age(params.get("max_age"))
    if max_age is None or not request.user.is_authenticated:
        return False
    auth_time, _acr = session_authentication(request)
    if auth_time is None:
        return True
    pending = dict(request.session.get(SESSION_REAUTH_PENDING) or {})
    requested = pending.pop(_request_digest(request), None)
    if requested is not None and auth_time >= requested:
        request.session[SESSION_REAUTH_PENDING] = pending
        return False  # signed in again since we asked, for this request: the re-authentication
    return time.time() - auth_time > max_age


def reauthentication_requested(request) -> None:
    """Note that this browser is being sent to sign in again for this authorization request."""
    now = time.time()
    pending = {
        digest: at
        for digest, at in (request.session.get(SESSION_REAUTH_PENDING) or {}).items()
        if now - at < REAUTH_PENDING_SECONDS
    }
    pending[_request_digest(request)] = now
    request.session[SESSION_REAUTH_PENDING] = dict(
        sorted(pending.items(), key=lambda item: item[1])[-REAUTH_PENDING_MAX:]
    )


def authorization_credentials(request) -> dict:
    """What the validator needs to know about the sign-in behind an authorization response."""
    auth_time, acr = session_authentication(request)
    return {
        "auth_time": int(auth_time) if auth_time is not None else None,
        "acr": acr,
        "amr": session_amr(request),
        # The browser session's public id: the ID token's sid (Back-Channel Logout 1.0 §2.1).
        "sid": backchannel.session_id(request),
    }


def code_authentication_record(
    *, grant, auth_time: int | None, acr: str | None, sid: str | None = None, amr: list[str] | None = None
) -> None:
    """Keep the sign-in behind a just-issued authorization code with its grant."""
    if auth_time is None:
        return
    CodeAuthentication.objects.create(
        grant=grant,
        auth_time=datetime.fromtimestamp(auth_time, tz=UTC),
        acr=acr or "",
        sid=sid or "",
        amr=" ".join(amr or []),
    )


def id_token_authentication(request, code_record: CodeAuthentication | None) -> tuple[int | None, str | None]:
    """(auth_time, acr) for an ID token: from the authorization request's session when issued at
    the authorization endpoint, from the code's record (``code_record``) at the token endpoint,
    from the code that started the token family on a refresh, else unknown."""
    if getattr(request, "auth_time", None) is not None:
        return request.auth_time, getattr(request, "acr", None)
    if code_record is not None:
        return int(code_record.auth_time.timestamp()), code_record.acr or None
    family = getattr(getattr(request, "refresh_token_instance", None), "token_family", None)
    if family is not None:
        # A refresh: the sign-in behind the code that started this refresh token family.
        redemption = AuthorizationCodeRedemption.objects.filter(refresh_token_family=family).first()
        if redemption is not None and redemption.auth_time is not None:
            return int(redemption.auth_time.timestamp()), redemption.acr or None
    return None, None


def id_token_sid(request, code_record: CodeAuthentication | None) -> str | None:
    """The session (``sid``) behind an ID token, found the way ``id_token_authentication`` finds
    the sign-in: the authorization request, the code's record, or the code that began a refresh
    token family."""
    if getattr(request, "sid", None):
        return request.sid
    if code_record is not None:
        return code_record.sid or None
    family = getattr(getattr(request, "refresh_token_instance", None), "token_family", None)
    if family is not None:
        redemption = AuthorizationCodeRedemption.objects.filter(refresh_token_family=family).first()
        return (redemption.sid or None) if redemption is not None else None
    return None


def id_token_amr(request, code_record: CodeAuthentication | None) -> list[str]:
    """The RFC 8176 ``amr`` behind an ID token, found the way ``id_token_sid`` finds the session."""
    if getattr(request, "auth_time", None) is not None:
        return list(getattr(request, "amr", None) or [])
    if code_record is not None:
        return code_record.amr.split()
    family = getattr(getattr(request, "refresh_token_instance", None), "token_family", None)
    if family is not None:
        redemption = AuthorizationCodeRedemption.objects.filter(refresh_token_family=family).first()
        return redemption.amr.split() if redemption is not None else []
    return []


def code_sign_in(code_record: CodeAuthentication | None) -> dict:
    """The sign-in recorded for a code, as AuthorizationCodeRedemption fields (empty if none)."""
    if code_record is None:
        return {}
    return {
        "auth_time": code_record.auth_time,
        "acr": code_record.acr,
        "sid": code_record.sid,
        "amr": code_record.amr,
    }
