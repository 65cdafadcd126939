"""Refresh token rotation that holds under concurrency (RFC 9700 §4.14.2).

DOT validates a refresh token with a plain read, then rotates it: two requests with one token can
both pass validation and both rotate, forking the family. ``refresh_rotate`` claims the token with
a conditional update before anything is saved. On PostgreSQL a concurrent claim waits for the
winner's row lock and then finds the token revoked (0 rows); on SQLite the transaction is
``BEGIN IMMEDIATE`` (settings), so claims run one at a time. Whoever loses the claim has reused
the token: the whole family is revoked, including what the winner just minted, and the request is
``invalid_grant``. A reuse that arrives after the winner committed is caught earlier, by DOT's
``validate_refresh_token`` (REFRESH_TOKEN_REUSE_PROTECTION), the same way.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model
from oauthlib.oauth2.rfc6749 import errors


def refresh_rotate(*, refresh_token, save_tokens: Callable[[], object], request=None) -> object:
    """Claim ``refresh_token`` (still unrevoked) and ``save_tokens()`` in one transaction.

    When the token is already revoked (a concurrent use won the claim), nothing is saved, the
    token's family is revoked and InvalidGrantError is raised.
    """
    refresh_token_model = get_refresh_token_model()
    try:
        with transaction.atomic():
            now = timezone.now()
            claimed = refresh_token_model.objects.filter(pk=refresh_token.pk, revoked__isnull=True).update(
                updated=now
            )
            if not claimed:
                raise errors.InvalidGrantError(
                    description="The refresh token was already used.", request=request
                )
            return save_tokens()
    except errors.InvalidGrantError:
        # Outside the rolled-back transaction, so the revocation stays.
        refresh_token_model.revoke_family(refresh_token.token_family)
        raise
