"""Second factors: which a user has, the sign-in that waits for one, and the project's policy.

The factors themselves are django-otp devices (authenticator apps: ``otp_totp.TOTPDevice``;
recovery codes: ``accounts.models.RecoveryCodeDevice``; passkeys: ``django_otp_webauthn``), so
"does this user have a second factor" is ``django_otp.user_has_device(user)`` whatever the plugin.
The writes are services (``accounts.services``); this module only reads and keeps the session's
state of a sign-in in progress (docs/account-security.md).
"""

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop
from django_otp import device_classes, devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import RecoveryCodeDevice
from oauthclients.oauth2.oidc import authn

# --- The project's policy (settings.ACCOUNTS) -----------------------------------------------------

DEFAULTS = {
    # Staff must have a second factor to use the admin (they are sent to set one up).
    "REQUIRE_SECOND_FACTOR_FOR_STAFF": True,
    # Days after which every user must have one (None: never). Counted from the later of the
    # account's creation and REQUIRE_SECOND_FACTOR_SINCE (an ISO date: when the rule was turned on).
    "REQUIRE_SECOND_FACTOR_AFTER_DAYS": None,
    "REQUIRE_SECOND_FACTOR_SINCE": None,
    # A password (or provider) step waits this long for its second step, then starts over.
    "PENDING_SIGN_IN_SECONDS": 5 * 60,
    # Removing a factor or making new recovery codes takes a sign-in at most this old, or the
    # password (or a code) again.
    "RECENT_SIGN_IN_SECONDS": 5 * 60,
}


def setting(name: str):
    """One ``ACCOUNTS`` setting: the project's, else its default above."""
    return getattr(settings, "ACCOUNTS", {}).get(name, DEFAULTS[name])


def has_second_factor(user) -> bool:
    """Whether ``user`` has a confirmed second factor of any kind: ``django_otp.user_has_device``'s
    answer (every plugin's device model, passkeys included), in ONE query (a UNION of each model's
    confirmed devices) where django-otp makes one per model: HTTP Basic asks on every request."""
    if user is None or not user.is_authenticated or user.pk is None:
        return False
    querysets = [
        model._default_manager.filter(user_id=user.pk, confirmed=True).values("user_id")
        for model in device_classes()
    ]
    if not querysets:
        return False
    return (
        querysets[0].union(*querysets[1:], all=True).exists() if len(querysets) > 1 else querysets[0].exists()
    )


def grace_ends(user):
    """When ``user`` must have a second factor by the everyone-rule, or None when it does not apply."""
    days = setting("REQUIRE_SECOND_FACTOR_AFTER_DAYS")
    if days is None:
        return None
    start = user.date_joined
    since = setting("REQUIRE_SECOND_FACTOR_SINCE")
    if since:
        from datetime import date, datetime

        day = since if isinstance(since, date) else date.fromisoformat(str(since))
        start = max(start, timezone.make_aware(datetime.combine(day, datetime.min.time())))
    return start + timedelta(days=int(days))


def second_factor_required(user) -> bool:
    """Whether the policy requires ``user`` to have a second factor now (staff for the admin are
    checked apart: ``staff_must_set_up``)."""
    ends = grace_ends(user)
    return ends is not None and timezone.now() >= ends


# --- What a user has --------------------------------------------------------------------------

KIND_TOTP = "totp"
KIND_RECOVERY = "recovery_codes"
KIND_PASSKEY = "passkey"
KIND_LABELS = {
    KIND_TOTP: gettext_lazy("Authenticator app"),
    KIND_RECOVERY: gettext_lazy("Recovery codes"),
    KIND_PASSKEY: gettext_lazy("Passkey"),
}


def device_kind(device) -> str:
    if isinstance(device, TOTPDevice):
        return KIND_TOTP
    if isinstance(device, RecoveryCodeDevice):
        return KIND_RECOVERY
    return KIND_PASSKEY if "webauthn" in type(device)._meta.app_label else type(device)._meta.model_name


@dataclass(frozen=True)
class Factor:
    """One confirmed factor as pages and the API show it."""

    id: str  # django-otp's persistent id with "-" for "/" ("<app>.<model>-<pk>"): one URL segment
    kind: str
    name: str
    added: Any
    last_used: Any
    device: Any  # the django-otp Device (any plugin's model)

    @property
    def label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


def factors_of(user) -> list[Factor]:
    """The user's confirmed factors, every plugin's, oldest first."""
    found = [
        Factor(
            id=factor_id(device.persistent_id),
            kind=device_kind(device),
            name=device.name,
            added=getattr(device, "created_at", None),
            last_used=getattr(device, "last_used_at", None),
            device=device,
        )
        for device in devices_for_user(user, confirmed=True)
    ]
    return sorted(found, key=lambda f: (f.added is None, f.added or 0, f.id))


def factor_id(persistent_id: str) -> str:
    """A factor's public id: django-otp's persistent id as one URL segment."""
    return persistent_id.replace("/", "-")


def factor_of(user, id_: str):
    """The user's confirmed device with that id (``Factor.id`` or django-otp's persistent id), or
    None (another user's is None too)."""
    wanted = factor_id(id_)
    return next((f.device for f in factors_of(user) if f.id == wanted), None)


def step_up_levels(user) -> list[str]:
    """The ``acr`` levels ``user`` can reach by confirming a factor (the step-up page): mfa with any
    confirmed factor, phishing-resistant too with a passkey."""
    kinds = {device_kind(device) for device in devices_for_user(user, confirmed=True)}
    if not kinds:
        return []
    return [authn.ACR_MFA, authn.ACR_PHR] if KIND_PASSKEY in kinds else [authn.ACR_MFA]


def code_devices(user, token: str):
    """The devices a typed ``token`` is checked against, locked for the check (``for_verify``: two
    requests with one code are checked one after the other, so django-otp's ``last_t`` lets only
    one through): the authenticator apps for six digits, the recovery codes for anything else
    (so a mistyped recovery code never counts against an app's own throttle)."""
    kind = KIND_TOTP if token.isdigit() and len(token) <= 8 else KIND_RECOVERY
    return [d for d in devices_for_user(user, confirmed=True, for_verify=True) if device_kind(d) == kind]


# --- The sign-in that waits for its second step ---------------------------------------------------

PENDING_KEY = "accounts_pending_sign_in"
VERIFIED_KEY = "accounts_second_factor_verified"


@dataclass(frozen=True)
class PendingSignIn:
    user: Any
    backend: str
    next: str
    resume: str  # a provider sign-in's pipeline to resume ("" for a password sign-in)


def pending_start(request, *, user, backend: str, next_url: str = "", resume: str = "") -> None:
    """The first step succeeded: remember who, for ``PENDING_SIGN_IN_SECONDS``. The session stays
    signed out (no user in it), so nothing but the verify page is reachable."""
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": backend,
        "at": time.time(),
        "next": next_url,
        "resume": resume,
        # The password's hash fragment: a password changed meanwhile voids the pending sign-in.
        "auth": user.get_session_auth_hash(),
    }


def pending_get(request) -> PendingSignIn | None:
    """The sign-in waiting in this browser for its second step, if any and still fresh."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or "user" not in data:
        return None
    if time.time() - float(data.get("at", 0)) > setting("PENDING_SIGN_IN_SECONDS"):
        request.session.pop(PENDING_KEY, None)
        return None
    user = get_user_model()._default_manager.filter(pk=data["user"], is_active=True).first()
    if user is None or user.get_session_auth_hash() != data.get("auth"):
        request.session.pop(PENDING_KEY, None)
        return None
    return PendingSignIn(
        user=user, backend=data["backend"], next=data.get("next", ""), resume=data.get("resume", "")
    )


def pending_verified(request, *, pending: PendingSignIn, device, methods: list[str]) -> None:
    """The second step succeeded: what the ``login()`` that follows marks (``otp_login`` and the
    session's acr/amr, ``accounts.receivers.complete_second_factor``)."""
    request.session.pop(PENDING_KEY, None)
    request.session[VERIFIED_KEY] = {
        "user": pending.user.pk,
        "device": device.persistent_id,
        "methods": methods,
        "at": time.time(),
        "resume": pending.resume,
    }


def verified_for(request, user) -> dict | None:
    """This browser's fresh second-step proof for ``user``, if any (read, not consumed)."""
    data = request.session.get(VERIFIED_KEY)
    if not isinstance(data, dict) or data.get("user") != user.pk:
        return None
    if time.time() - float(data.get("at", 0)) > setting("PENDING_SIGN_IN_SECONDS"):
        return None
    return data


def amr_for(device) -> list[str]:
    """RFC 8176 methods of a factor: a code (app or recovery) is ``otp``, a passkey ``hwk``/``swk``
    with ``user``."""
    kind = device_kind(device)
    if kind == KIND_PASSKEY:
        # A passkey synced between devices (backup eligible) is software-secured, one bound to
        # its authenticator hardware-secured; every assertion tested the user's presence.
        synced = bool(getattr(device, "backup_eligible", False))
        return [authn.AMR_SOFTWARE_KEY if synced else authn.AMR_HARDWARE_KEY, authn.AMR_USER_PRESENCE]
    return [authn.AMR_OTP]


# --- Doors that cannot ask for a code --------------------------------------------------------

# English (an RFC 6749 error_description); translated where it is a `detail` (HTTP Basic).
SECOND_FACTOR_REFUSAL = gettext_noop(
    "This account uses a second factor: sign in through the browser (authorization code flow) "
    "or use a personal access token"
)


def password_only_refusal(user) -> str | None:
    """Why one factor alone (HTTP Basic, the password grant, token exchange) must not sign ``user``
    in: they have a second factor, which those doors cannot ask for. None: it may."""
    return SECOND_FACTOR_REFUSAL if has_second_factor(user) else None


# --- Recent sign-in ---------------------------------------------------------------------------


def signed_in_recently(request) -> bool:
    """The session signed in (with every factor it needed) within ``RECENT_SIGN_IN_SECONDS``."""
    auth_time = request.session.get(authn.SESSION_AUTH_TIME)
    return auth_time is not None and time.time() - float(auth_time) <= setting("RECENT_SIGN_IN_SECONDS")
