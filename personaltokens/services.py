"""Creating, using and revoking personal access tokens: the only code that writes them."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.settings import oauth2_settings

from beerlocker_api import stepup
from oauthclients import services as oauthclients_services
from oauthclients.conf import app_settings as oauthclients_settings
from personaltokens import conf
from personaltokens.models import (
    IssuedTokens,
    PersonalAccessToken,
    looks_like_token,
    token_digest,
    token_new,
)
from personaltokens.signals import token_created, token_revoked


def scope_choices() -> dict[str, str]:
    """{scope: description} a token may be given: the API's scopes a user holds, not ``openid``
    (nothing to sign in to), application-only scopes, a client registration's own, or a scope
    that needs a level or a recent sign-in (``BEERLOCKER_API["STEP_UP_SCOPES"]``: a personal
    access token stands for no sign-in, so the API would refuse it those)."""
    refused = {
        "openid",
        oauth2_settings.DCR_REGISTRATION_SCOPE,
        *oauthclients_settings.APP_SCOPES,
        *stepup.stepped_up_scopes(),
    }
    return {name: text for name, text in get_scopes_backend().get_all_scopes().items() if name not in refused}


@transaction.atomic
def token_create(
    *, user, name: str, scopes: list[str], lifetime_days: int
) -> tuple[PersonalAccessToken, str]:
    """A new token for ``user``; returns the row and the token itself, which exists nowhere else:
    the caller shows it once."""
    name = (name or "").strip()
    problems: dict[str, str] = {}
    if not name:
        problems["name"] = _("Name the token after what will use it (e.g. “backup script”).")
    elif PersonalAccessToken.objects.filter(user=user, name=name).exists():
        problems["name"] = _("You already have a token with this name.")
    choices = scope_choices()
    unknown = sorted(set(scopes) - set(choices))
    if not scopes:
        problems["scopes"] = _("Choose at least one scope: a token can do only what its scopes allow.")
    elif unknown:
        problems["scopes"] = _("A personal access token cannot have these scopes: %(scopes)s.") % {
            "scopes": " ".join(unknown)
        }
    lifetimes = conf.get("LIFETIME_DAYS")
    if lifetime_days not in lifetimes:
        problems["lifetime_days"] = _("Choose one of %(days)s days.") % {
            "days": ", ".join(map(str, sorted(lifetimes)))
        }
    if PersonalAccessToken.objects.filter(user=user).count() >= conf.get("MAX_PER_USER"):
        problems["__all__"] = _(
            "You have %(count)d tokens, the most an account may hold: revoke one first."
        ) % {"count": conf.get("MAX_PER_USER")}
    if problems:
        raise ValidationError(problems)
    token = token_new()
    row = PersonalAccessToken(
        user=user,
        name=name,
        digest=token_digest(token),
        hint=token[len("blpat_") :][:8],
        scope=" ".join(sorted(set(scopes))),
        expires=timezone.now() + timedelta(days=lifetime_days),
    )
    row.full_clean(exclude=["digest", "hint"])
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as error:  # the same name created at the same moment
        raise ValidationError({"name": _("You already have a token with this name.")}) from error
    transaction.on_commit(lambda: token_created.send(PersonalAccessToken, token=row, user=user))
    return row, token


@transaction.atomic
def token_revoke(*, token: PersonalAccessToken) -> None:
    """Delete ``token``: the next request made with it is refused, and so is every access and
    refresh token the password grant issued with it (``issued_tokens_link``), JWTs included."""
    user = token.user
    issued_tokens_revoke(token=token)
    token.delete()
    transaction.on_commit(lambda: token_revoked.send(PersonalAccessToken, token=token, user=user))


def token_usable(presented: str) -> PersonalAccessToken | None:
    """The live token ``presented`` is (not expired, its user active), with its user, in one
    query; None for anything else. The lookup is by the SHA-256 of what was presented: an index
    compares digests, and a digest of a guess tells nothing of a stored token's characters.
    ``last_used`` is refreshed at most once per ``LAST_USED_RESOLUTION_SECONDS`` (a second query
    then, never on every request)."""
    if not looks_like_token(presented) or len(presented) > 100:
        return None
    token = (
        PersonalAccessToken.objects.usable()
        .select_related("user")
        .filter(digest=token_digest(presented))
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    stale = now - timedelta(seconds=conf.get("LAST_USED_RESOLUTION_SECONDS"))
    if token.last_used is None or token.last_used < stale:
        # Conditional: concurrent requests write it once, and a revoked token is not recreated.
        PersonalAccessToken.objects.filter(
            Q(last_used__isnull=True) | Q(last_used__lt=stale), pk=token.pk
        ).update(last_used=now)
        token.last_used = now
    return token


@transaction.atomic
def issued_tokens_link(*, token: PersonalAccessToken, access_token, refresh_token) -> IssuedTokens:
    """Link to ``token`` what the password grant has just issued with it (DOT rows; no refresh
    token when the client gets none): its refresh token's family holds every later refresh."""
    return IssuedTokens.objects.create(
        token=token,
        access_token=access_token,
        token_family=refresh_token.token_family if refresh_token is not None else None,
    )


@transaction.atomic
def issued_tokens_revoke(*, token: PersonalAccessToken) -> int:
    """Revoke every access and refresh token issued with ``token`` (through oauthclients'
    revocation, which stops JWT access tokens at once); returns how many."""
    links = list(IssuedTokens.objects.filter(token=token).values_list("access_token_id", "token_family"))
    return oauthclients_services.issued_tokens_revoke(
        access_token_ids=[access_token_id for access_token_id, _ in links if access_token_id is not None],
        token_families=[family for _, family in links if family is not None],
    )


def refresh_token_expires(refresh_token) -> datetime | None:
    """When the personal access token ``refresh_token``'s family was issued with expires; None for
    a family no token issued (one query). A revoked token's families were revoked with it, and a
    deactivated user's refresh is refused by oauthclients itself."""
    if refresh_token.token_family is None:
        return None
    links = IssuedTokens.objects.filter(token_family=refresh_token.token_family)
    return links.values_list("token__expires", flat=True).first()
