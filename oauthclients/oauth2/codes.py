"""Authorization codes: stored as checksums, spent once, and a replay revokes what they bought.

DOT deletes a grant when its code is exchanged, so without a record a replayed code looks like any
unknown code. RFC 6749 §4.1.2 asks that a replay revoke what the code produced; an
``AuthorizationCodeRedemption`` remembers that, until ``code_redemptions_prune`` forgets it.
"""

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
    revoke_access_token,
)
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from oauthclients.models import AuthorizationCodeRedemption, Client
from oauthclients.oauth2 import authn


def code_checksum(code: str) -> str:
    """What we store for an authorization code: its SHA-256, never the code itself."""
    return hashlib.sha256(code.encode()).hexdigest()


@contextmanager
def code_unspent(request) -> Iterator[None]:
    """Read the grant of a code inside this block: if a concurrent exchange spent (deleted) it
    since ``validate_code`` passed, the request is ``invalid_grant``, never a 500."""
    try:
        yield
    except get_grant_model().DoesNotExist:
        raise errors.InvalidGrantError(
            description="The authorization code was already used.", request=request
        ) from None


def code_exchange(*, code: str, client: Client, token: dict, save_tokens: Callable[[], object]) -> None:
    """Save the tokens ``code`` buys (``save_tokens``) and spend the code, in one transaction.

    When the code is already spent (a replay that won a race against the first exchange) nothing
    is saved, every token the first exchange issued is revoked, and InvalidGrantError is raised.
    """
    checksum = code_checksum(code)
    sign_in = authn.code_sign_in(checksum)  # read before the grant (and its record) goes
    try:
        with transaction.atomic():
            save_tokens()
            deleted, _ = get_grant_model().objects.filter(code=checksum, application=client).delete()
            if not deleted:
                raise errors.InvalidGrantError()
            _record_redemption(checksum, client, token, sign_in)
    except errors.InvalidGrantError:
        revoke_tokens_from_code(checksum)
        raise


def _record_redemption(checksum: str, client: Client, token: dict, sign_in: dict) -> None:
    access_checksum = hashlib.sha256(token["access_token"].encode()).hexdigest()
    refresh = get_refresh_token_model().objects.filter(access_token__token_checksum=access_checksum).first()
    AuthorizationCodeRedemption.objects.create(
        code_checksum=checksum,
        application=client,
        access_token_checksum=access_checksum,
        refresh_token_family=refresh.token_family if refresh is not None else None,
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
