from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")
    SESSION_ENDED = "session_ended", _("Session ended")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset")
    EMAIL_CHANGED = "email_changed", _("E-mail address changed")
    EMAIL_VERIFIED = "email_verified", _("E-mail address verified")
    CONSENT_GIVEN = "consent_given", _("Access granted to an application")
    DEVICE_AUTHORIZED = "device_authorized", _("Device allowed to use an application")
    ACCESS_REVOKED = "access_revoked", _("Application access revoked")
    REFRESH_TOKEN_REUSED = "refresh_token_reused", _("Refresh token reuse detected")
    CLIENT_REGISTERED = "client_registered", _("Application registered")
    CLIENT_SECRET_ROTATED = "client_secret_rotated", _("Application secret rotated")
    CLIENT_DELETED = "client_deleted", _("Application deleted")
    PROVIDER_LINKED = "provider_linked", _("Sign-in account connected")
    PROVIDER_UNLINKED = "provider_unlinked", _("Sign-in account disconnected")
    RATE_LIMITED = "rate_limited", _("Rate limit hit")
    SECOND_FACTOR_ADDED = "second_factor_added", _("Second factor added")
    SECOND_FACTOR_REMOVED = "second_factor_removed", _("Second factor removed")
    RECOVERY_CODES_GENERATED = "recovery_codes_generated", _("New recovery codes made")
    RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
    PERSONAL_TOKEN_CREATED = "personal_token_created", _("Personal access token created")
    PERSONAL_TOKEN_REVOKED = "personal_token_revoked", _("Personal access token revoked")
    PASSKEY_ADDED = "passkey_added", _("Passkey added")
    PASSKEY_REMOVED = "passkey_removed", _("Passkey removed")


# A RATE_LIMITED event's ``limit`` when django-axes locked sign-ins out (too many failures).
LOCKOUT_LIMIT = "failed-sign-ins"


class EventQuerySet(models.QuerySet):
    def of(self, user):
        """``user``'s own events, newest first."""
        return self.filter(user=user).order_by("-created", "-id")

    def older_than(self, days: int):
        """Events past the retention period."""
        return self.filter(created__lt=timezone.now() - timedelta(days=days))


class Event(models.Model):
    """One security-relevant thing that happened to an account. ``details`` never holds a secret,
    token, code or password (``activity.services.event_record`` refuses such keys)."""

    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    # The account's history goes with the account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ip = models.GenericIPAddressField("address", null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    details = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "-created"], name="activity_user_created")]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.created:%Y-%m-%d %H:%M}"
