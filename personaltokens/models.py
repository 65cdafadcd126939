"""Personal access tokens: what a script uses instead of its owner's password.

A token is ``blpat_`` followed by 43 random URL-safe characters (256 bits): the prefix lets the API
tell it from an OAuth access token at a glance (and secret scanners find a leaked one). Only its
SHA-256 is stored: with 256 random bits a fast hash is as safe as a slow one and costs one indexed
lookup per request. What a user sees again later is the first characters (``hint``), never the token.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

PREFIX = "blpat_"


def token_new() -> str:
    """A fresh token (shown to its owner once, never stored)."""
    return PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored of ``token`` and what a presented one is looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(value: str | None) -> bool:
    return bool(value) and value.startswith(PREFIX)  # type: ignore[union-attr]


class PersonalAccessTokenQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(user=user).order_by("-created", "-id")

    def usable(self):
        return self.filter(expires__gt=timezone.now(), user__is_active=True)


class PersonalAccessToken(models.Model):
    """One token of one user: its scopes bound what a request made with it may do."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_access_tokens"
    )
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters after the prefix: enough to recognise a token in a list, far too few to
    # guess the rest (8 of 43 characters).
    hint = models.CharField(max_length=16, editable=False)
    scope = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)

    objects = PersonalAccessTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "personal access token"
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="personaltokens_unique_name_per_user")
        ]

    def __str__(self):
        return f"{self.name} ({PREFIX}{self.hint}…)"

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()

    def allow_scopes(self, scopes) -> bool:
        """Whether every scope in ``scopes`` was given to this token (the same question
        ``beerlocker_api.permissions`` asks an OAuth access token)."""
        return set(scopes) <= set(self.scopes)

    def is_expired(self) -> bool:
        return self.expires <= timezone.now()


class IssuedTokens(models.Model):
    """What the password grant issued with a token as the password: the access token, and the
    refresh token family every later refresh of it rotates within. Revoking the token revokes
    them (``services.token_revoke``); the rows go with the token."""

    token = models.ForeignKey(PersonalAccessToken, on_delete=models.CASCADE, related_name="issued_tokens")
    # SET_NULL: an expired access token's cleanup must not lose the family the link still holds.
    access_token = models.ForeignKey(
        oauth2_settings.ACCESS_TOKEN_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "tokens issued with a personal access token"
        verbose_name_plural = verbose_name

    def __str__(self):
        return f"tokens issued with {self.token_id}"
