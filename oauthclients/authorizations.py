"""The applications a user has let in: what each may do, since when, and taking that access back.

DOT lists and revokes tokens one at a time; a person thinks in applications. An application is
authorized while the user has an unexpired access token or an unrevoked refresh token for it.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, get_refresh_token_model

from oauthclients import services, signals
from oauthclients.scopes import scope_words


@dataclass
class Authorization:
    """One application's access to one user's account, summed over its tokens."""

    client: object
    scopes: set[str] = field(default_factory=set)
    granted: datetime | None = None
    last_used: datetime | None = None

    @property
    def scope_descriptions(self) -> list[str]:
        """The scopes in plain words, as the consent page shows them."""
        words = scope_words()
        return [words.get(scope, scope) for scope in sorted(self.scopes)]

    def note(self, scope, created, updated):
        self.scopes.update(scope.split())
        self.granted = min(created, self.granted) if self.granted else created
        self.last_used = max(updated, self.last_used) if self.last_used else updated


def _live_tokens(user):
    now = timezone.now()
    access = get_access_token_model().objects.filter(user=user, application__isnull=False, expires__gt=now)
    refresh = get_refresh_token_model().objects.filter(user=user, revoked__isnull=True)
    return access, refresh


def authorizations_for(user) -> list[Authorization]:
    """The applications with live access to ``user``'s account, newest activity first, in 3 queries."""
    access, refresh = _live_tokens(user)
    by_client: dict[int, Authorization] = {}
    fields = ("application_id", "scope", "created", "updated")
    for client_id, scope, created, updated in access.values_list(*fields):
        by_client.setdefault(client_id, Authorization(client=None)).note(scope, created, updated)
    # A refresh token has no scope column of its own: its scopes are its last access token's.
    fields = ("application_id", "access_token__scope", "created", "updated")
    for client_id, scope, created, updated in refresh.values_list(*fields):
        by_client.setdefault(client_id, Authorization(client=None)).note(scope or "", created, updated)
    for client in get_application_model().objects.filter(pk__in=by_client):
        by_client[client.pk].client = client
    found = [authorization for authorization in by_client.values() if authorization.client is not None]
    # note() set every found one's last_used; the fallback only tells mypy so.
    never = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda authorization: authorization.last_used or never, reverse=True)


def consent_remembered(user, client, scopes) -> bool:
    """The user already allowed ``client`` these scopes: a live access token of theirs covers them.
    DOT's rule at the authorization endpoint (``REQUEST_APPROVAL_PROMPT = "auto"``), for the device
    page, which has no DOT view behind it."""
    now = timezone.now()
    tokens = get_access_token_model().objects.filter(user=user, application=client, expires__gt=now)
    return any(token.allow_scopes(scopes) for token in tokens.only("scope"))


def authorized_clients(user):
    """The applications ``user`` may revoke: those with live access to the account."""
    access, refresh = _live_tokens(user)
    return get_application_model().objects.filter(
        Q(pk__in=access.values("application_id")) | Q(pk__in=refresh.values("application_id"))
    )


@transaction.atomic
def authorization_revoke(*, user, client) -> None:
    """Removes every token, code and ID token ``client`` holds for ``user``: its access stops at once."""
    services.client_revoke_tokens(client=client, user=user)
    signals.access_revoked.send(sender=type(client), client=client, user=user)
