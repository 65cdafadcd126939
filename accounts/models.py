"""Browser sessions kept per user: Django's session row with the user, device and address beside it.

Django's own ``django_session`` table cannot be queried per user without decoding every row; this
one has the user as an indexed column, so "my sessions" and "end all of them" are one query each.
"""

import hmac
import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession, BaseSessionManager
from django.db import models
from django.utils import timezone
from django_otp.models import Device, TimestampMixin


def new_session_id() -> str:
    """A session's public id: random, not secret, never derived from the session key."""
    return secrets.token_urlsafe(16)


class UserSessionQuerySet(models.QuerySet):
    def live(self):
        """Sessions that have not expired (an expired row lingers until ``clearsessions``)."""
        return self.filter(expire_date__gt=timezone.now())

    def signed_in_as(self, user):
        """The live sessions signed in as ``user``, most recently active first."""
        return self.live().filter(user=user).order_by("-last_active", "-started")


UserSessionManager = BaseSessionManager.from_queryset(UserSessionQuerySet)


class UserSession(AbstractBaseSession):
    """One browser session (the session key is the primary key and never leaves the server).

    ``public_id`` is what pages, the API and ID tokens (``sid``) name the session by; it survives a
    session-key rotation (sign-in, password change) because it is kept in the session's data.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="browser_sessions"
    )
    # Not unique: rotating the key writes the new row before the old one is deleted.
    public_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField("address", null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    started = models.DateTimeField(null=True, blank=True)
    last_active = models.DateTimeField(null=True, blank=True)

    # The stubs declare AbstractBaseSession.objects a ClassVar; Django's own session models assign
    # their manager the same way, so the override is only the stubs' view.
    objects = UserSessionManager()  # type: ignore[misc]

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "browser session"
        verbose_name_plural = "browser sessions"

    @classmethod
    def get_session_store_class(cls):
        return import_module(settings.SESSION_ENGINE).SessionStore

    def __str__(self):
        return f"session {self.public_id or '(anonymous)'}"


class VerifiedEmailQuerySet(models.QuerySet):
    def of_address(self, email: str):
        """Verifications of ``email`` (case-insensitively) that are still their user's address."""
        return self.filter(email__iexact=email, user__email__iexact=email)


class VerifiedEmail(models.Model):
    """The address a user proved they receive mail at, by following a signed link sent to it.

    The address itself is stored, not a flag: when the user's e-mail changes by any path (the
    API, the admin, a command) the stored one no longer matches, so the new address is unverified
    until its own link is followed.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verified_email"
    )
    email = models.EmailField()
    verified = models.DateTimeField(default=timezone.now)

    objects = VerifiedEmailQuerySet.as_manager()

    def __str__(self):
        return f"{self.email} (verified)"


# --- Second factors (django-otp devices; docs/account-security.md) ---------------------------

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
_RECOVERY_SALT = "accounts.recovery-code"


def recovery_code_new() -> str:
    """A random recovery code, ``xxxxx-xxxxx`` (10 of 31 characters: about 50 bits)."""
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def recovery_code_normalize(code: str) -> str:
    """What a typed code is compared as: lower case, without spaces or dashes."""
    return "".join(code.split()).replace("-", "").lower()


def recovery_code_digests(code: str) -> list[str]:
    """HMAC-SHA256 digests of a code under SECRET_KEY and each of SECRET_KEY_FALLBACKS (the first is
    what is stored): a copy of the database alone cannot be tried offline, and rotating the key
    keeps the codes while the old key is a fallback."""
    from django.utils.crypto import salted_hmac

    normalized = recovery_code_normalize(code)
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        salted_hmac(_RECOVERY_SALT, normalized, secret=key, algorithm="sha256").hexdigest() for key in keys
    ]


class RecoveryCodeDevice(TimestampMixin, Device):
    """A user's set of single-use recovery codes, as one django-otp device (so ``user_has_device``,
    ``devices_for_user`` and ``otp_login`` treat it like any other).

    Unlike django-otp's ``StaticDevice``, which stores its tokens as typed, only an HMAC of each
    code is kept (``RecoveryCode.digest``): a leaked database or backup shows no usable code.
    """

    class Meta(Device.Meta):
        verbose_name = "recovery codes"
        verbose_name_plural = "recovery codes"

    def verify_token(self, token) -> bool:
        """True once per code: the typed code's digest is compared with each stored one in constant
        time, and the matching row is deleted by a conditional DELETE: of two requests racing with
        the same code, only the one whose DELETE removed the row succeeds."""
        if not isinstance(token, str) or not token.strip():
            return False
        digests = recovery_code_digests(token)
        match = None
        for pk, stored in self.codes.values_list("pk", "digest"):
            for digest in digests:
                if hmac.compare_digest(stored, digest):
                    match = pk
        if match is None:
            return False
        deleted, _ = RecoveryCode.objects.filter(pk=match, device=self).delete()
        if not deleted:
            return False
        self.set_last_used_timestamp(commit=True)
        return True

    def remaining(self) -> int:
        return self.codes.count()


class RecoveryCode(models.Model):
    """One unused recovery code, by its digest (``recovery_code_digests``); deleted when used."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    def __str__(self):
        return f"recovery code #{self.pk}"
