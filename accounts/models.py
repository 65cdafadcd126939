"""Browser sessions kept per user: Django's session row with the user, device and address beside it.

Django's own ``django_session`` table cannot be queried per user without decoding every row; this
one has the user as an indexed column, so "my sessions" and "end all of them" are one query each.
"""

import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession, BaseSessionManager
from django.db import models
from django.utils import timezone


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

    objects = BaseSessionManager.from_queryset(UserSessionQuerySet)()

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
