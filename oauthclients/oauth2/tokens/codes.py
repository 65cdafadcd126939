"""Authorization codes: stored as checksums, read once per token request, spent once, and a replay
revokes what they bought.

DOT deletes a grant when its code is exchanged, so without a record a replayed code looks like any
unknown code. RFC 6749 §4.1.2 asks that a replay revoke what the code produced; an
``AuthorizationCodeRedemption`` remembers that, until ``code_redemptions_prune`` forgets it.
"""

import hashlib
import time
from collections.abc import Callable

from django.db import transaction
from django.db.models import Subquery
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
    revoke_access_token,
)
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from oauthclients.models import AuthorizationCodeRedemption, Client, CodeAuthentication
from oauthclients.oauth2.oidc import authn


def code_checksum(code: str) -> str:
    """What we store for an authorization code: its SHA-256, never the code itself."""
    return hashlib.sha256(code.encode()).hexdigest()


def code_grant(request, code: str):
    """The grant of ``code`` (None when there is none), read once per token request with its user
    and the sign-in behind it, and kept on that oauthlib ``request``, never longer.

    oauthlib and DOT ask about the grant again and again (its scopes, client, user, PKCE challenge,
    redirect URI, nonce, resource and sign-in); every answer comes from this one read. It is a
    snapshot: whether the code is still unspent is decided by ``code_exchange`` alone, which
    deletes it in the transaction that saves the tokens.
    """
    checksum = code_checksum(code)
    read = getattr(request, "code_grant", None)
    if read is None or read[0] != checksum:
        # With the grant's DPoP binding (dpop_jkt, RFC 9449 §10), if any: no query of its own.
        grants = get_grant_model().objects.select_related("user", "authentication", "dpop_binding")
        request.code_grant = read = (checksum, grants.filter(code=checksum).first())
    return read[1]


def client_code_grant(request, code: str, client: Client):
    """``code_grant`` when the code is ``client``'s, else invalid_grant (DOT's reads of the grant
    ask for ``code`` and ``application=client`` together)."""
    grant = code_grant(request, code)
    if grant is None or grant.application_id != client.pk:
        raise errors.InvalidGrantError(description="The authorization code is not valid.", request=request)
    return grant


def code_authentication(grant) -> CodeAuthentication | None:
    """The sign-in recorded with ``grant`` (read with it by ``code_grant``), or None."""
    return getattr(grant, "authentication", None) if grant is not None else None


def code_exchange(
    *, code: str, grant, client: Client, token: dict, save_tokens: Callable[[], object]
) -> None:
    """Save the tokens ``code`` buys (``save_tokens``) and spend the code, in one transaction.

    ``grant`` is the code's grant as this request read it (``code_grant``). Spending it is deleting
    its row: when the delete finds the row gone (a replay that won a race against the first
    exchange) nothing is saved, every token the first exchange issued is revoked, and
    InvalidGrantError is raised.
    """
    checksum = code_checksum(code)
    sign_in = authn.code_sign_in(code_authentication(grant))  # kept before the grant (and it) goes
    try:
        with transaction.atomic():
            save_tokens()
            if not _spend(grant, client):
                raise errors.InvalidGrantError()
            _record_redemption(checksum, client, token, sign_in)
    except errors.InvalidGrantError:
        revoke_tokens_from_code(checksum)
        raise


def _spend(grant, client: Client) -> bool:
    """Delete ``grant`` (and its sign-in record); False when another exchange already had."""
    if grant is None or grant.pk is None or grant.application_id != client.pk:
        return False
    # By primary key: the row this request validated; its sign-in record goes with it (CASCADE).
    _total, deleted = grant.delete()
    return bool(deleted.get(grant._meta.label))


def _record_redemption(checksum: str, client: Client, token: dict, sign_in: dict) -> None:
    access_checksum = hashlib.sha256(token["access_token"].encode()).hexdigest()
    # The family of the refresh token just saved with that access token, read by the INSERT itself.
    family = get_refresh_token_model().objects.filter(access_token__token_checksum=access_checksum)
    AuthorizationCodeRedemption.objects.create(
        code_checksum=checksum,
        application=client,
        access_token_checksum=access_checksum,
        # django-stubs types create()'s keywords as values; Django also takes an expression here.
        refresh_token_family=Subquery(family.values("token_family")[:1]),  # type: ignore[misc]
        **sign_in,
    )


def revoke_tokens_from_code(checksum: str) -> None:
    """Revoke every token issued from an authorization code that is presented again."""
    redemption = AuthorizationCodeRedemption.objects.filter(code_checksum=checksum).first()
    if redemption is None:
        return
    if redemption.refresh_token_family:
        get_refresh_token_model().revoke_family(redemption.refresh_token_family)
    if redemption.access_token_checksum:
        for access_token in get_access_token_model().objects.filter(
            token_checksum=redemption.access_token_checksum
        ):
            revoke_access_token(access_token)


def code_redemptions_prune(*, batch_size: int | None = None, pause: float | None = None) -> int:
    """Forget redeemed codes whose tokens are all gone (a replay then has nothing to revoke).

    Deleted ``batch_size`` rows at a time, each batch its own short transaction with ``pause``
    seconds between (DOT's ``CLEAR_EXPIRED_TOKENS_BATCH_SIZE`` / ``_INTERVAL``, as ``cleartokens``),
    so a large backlog never holds locks for long. A record once prunable stays so: its tokens
    never come back."""
    batch_size = batch_size or oauth2_settings.CLEAR_EXPIRED_TOKENS_BATCH_SIZE
    pause = oauth2_settings.CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL if pause is None else pause
    # No NULL in the sub-select: "x NOT IN (..., NULL)" is never true in SQL.
    live_families = (
        get_refresh_token_model()
        .objects.filter(revoked__isnull=True, token_family__isnull=False)
        .values("token_family")
    )
    live_access_tokens = get_access_token_model().objects.values("token_checksum")
    prunable = AuthorizationCodeRedemption.objects.exclude(refresh_token_family__in=live_families).exclude(
        access_token_checksum__in=live_access_tokens
    )
    deleted = 0
    while batch := list(prunable.values_list("pk", flat=True)[:batch_size]):
        count, _ = AuthorizationCodeRedemption.objects.filter(pk__in=batch).delete()
        deleted += count
        if len(batch) < batch_size:
            break
        time.sleep(pause)
    return deleted
