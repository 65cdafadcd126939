from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from social_django.managers import UserSocialAuthManager
from social_django.models import AbstractUserSocialAuth, DjangoStorage

from socialaccounts.backends import provider_title
from socialaccounts.fields import EncryptedJSONField


class SocialAccountQuerySet(models.QuerySet):
    def owned_by(self, user):
        """The provider accounts linked to ``user``, oldest first; nothing for an anonymous user."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user).order_by("created", "pk")


SocialAccountManager = UserSocialAuthManager.from_queryset(SocialAccountQuerySet)


class SocialAccount(AbstractUserSocialAuth):
    """A provider account linked to a local user; the provider's tokens are encrypted at rest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="social_accounts", on_delete=models.CASCADE
    )
    # social-core's extra_data (tokens, expiry, provider ids), as one Fernet token.
    extra_data = EncryptedJSONField(default=dict, blank=True)

    # social-django looks accounts up through its manager's get_social_auth().
    objects: ClassVar[SocialAccountManager["SocialAccount"]] = SocialAccountManager()

    class Meta:
        verbose_name = "social account"
        constraints = [
            models.UniqueConstraint(fields=["provider", "uid"], name="socialaccount_provider_uid_unique"),
            models.CheckConstraint(condition=~Q(uid=""), name="socialaccount_uid_required"),
        ]

    def __str__(self):
        return f"{self.provider}:{self.uid}"

    @property
    def display_name(self):
        profile = self.extra_data.get("profile") or {}
        return profile.get("username") or profile.get("email") or self.uid

    @property
    def provider_title(self):
        """The provider as people know it ("GitHub", "X"), not the backend name ("twitter-oauth2")."""
        return provider_title(self.provider)


class SocialAccountStorage(DjangoStorage):
    """social-django's storage with our encrypted account model in place of UserSocialAuth."""

    # social-django infers ``type[UserSocialAuth]`` from its default; any AbstractUserSocialAuth
    # subclass is what SOCIAL_AUTH_STORAGE documents swapping in.
    user = SocialAccount  # type: ignore[assignment]


class ProviderSession(models.Model):
    """An OpenID provider's session (``iss`` + ``sid``, and the account's ``sub``) behind a local
    sign-in, so the provider's back-channel logout token can name what to end here. The local
    session carries the same three facts in its data (``socialaccounts.backchannel``)."""

    issuer = models.CharField(max_length=2000)
    sid = models.CharField(max_length=255, blank=True)
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["sid"]), models.Index(fields=["sub"])]

    def __str__(self):
        return f"Provider session for user #{self.user_id}"
