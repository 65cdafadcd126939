"""Refresh token rotation that holds under concurrency (RFC 9700 §4.14.2).

DOT validates a refresh token with a plain read, then rotates it: two requests with one token can
both pass validation and both rotate, forking the family. ``refresh_rotate`` claims the token with
a conditional update before anything is saved. On PostgreSQL a concurrent claim waits for the
winner's row lock and then finds the token revoked (0 rows); on SQLite the transaction is
``BEGIN IMMEDIATE`` (settings), so claims run one at a time. Whoever loses the claim has reused
the token: the whole family is revoked, including what the winner just minted, and the request is
``invalid_grant``. A reuse that arrives after the winner committed is caught earlier, by DOT's
``validate_refresh_token`` (REFRESH_TOKEN_REUSE_PROTECTION), the same way.

A FAPI 2.0 client's refresh tokens are not rotated (the validator's ``rotate_refresh_token``): DOT
then gives the access token row the refresh token issued the new value in place, and
``refreshed_in_place`` finds that row and makes the value it replaced unusable everywhere.
"""

import hashlib
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauthlib.oauth2.rfc6749 import errors

from beerlocker_api import jwt_access


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


def refreshed_in_place(token: dict, request):
    """After a refresh without rotation: the access token row DOT gave the new value (``token``'s
    access token), or None. The value it replaced was an opaque token no row holds any more, or a
    JWT that resources verify without the database: that one is marked revoked (its checksum, until
    it would have expired), as a deleted row's is."""
    instance = getattr(request, "refresh_token_instance", None)
    if instance is None or not instance.access_token_id or not token.get("access_token"):
        return None
    checksum = hashlib.sha256(token["access_token"].encode()).hexdigest()
    # DOT read the previous row through the refresh token before replacing its value: still cached.
    previous = instance.access_token
    if previous.token_checksum != checksum and previous.expires > timezone.now():
        jwt_access.revoke_tokens([(previous.token_checksum, previous.expires)])
    return (
        get_access_token_model().objects.filter(pk=instance.access_token_id, token_checksum=checksum).first()
    )
