"""Device authorizations (RFC 8628): the codes, stored as checksums, the polling pace and the
one-time exchange for tokens.

The rows are DOT's ``DeviceGrant`` (``get_device_grant_model()``), whose ``device_code`` and
``user_code`` columns hold checksums here, never the codes: the device code is a bearer secret for
the tokens, the user code a short secret a person types. The user code's checksum is an HMAC with
the project's SECRET_KEY, so a copy of the table does not give up 8-letter codes to a dictionary.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from oauth2_provider.models import get_device_grant_model
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant

from beerlocker_api.stepup import SIGN_IN_RELATED_NAME
from oauthclients import conf
from oauthclients.models import DeviceGrantSignIn

# RFC 8628 §6.1: consonants only (no vowels, so no words), and none of 0/O, 1/I/L, 5/S, 2/Z
# to confuse: 20 letters, 8 of them ~34.6 bits, with the guessing limits on the page.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
# RFC 8628 §3.5: each slow_down adds 5 seconds to the interval the device must keep.
SLOW_DOWN_SECONDS = 5

AUTHORIZED = DeviceCodeGrant.DEVICE_CODE_AUTHORIZED
PENDING = DeviceCodeGrant.DEVICE_CODE_PENDING
SLOW_DOWN = DeviceCodeGrant.DEVICE_CODE_SLOW_DOWN
EXPIRED = DeviceCodeGrant.DEVICE_CODE_EXPIRED
DENIED = DeviceCodeGrant.DEVICE_CODE_DENIED


def new_user_code() -> str:
    """A user code as shown to the person: ``XXXX-XXXX`` from ``USER_CODE_ALPHABET``."""
    code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    return f"{code[:4]}-{code[4:]}"


def normalize_user_code(typed: str) -> str:
    """What a person typed, as the code it means: case, dashes and spaces do not matter."""
    return "".join(ch for ch in (typed or "").upper() if ch not in "- \t")


def user_code_checksum(typed: str) -> str:
    return salted_hmac(
        "oauthclients.device.user_code", normalize_user_code(typed), algorithm="sha256"
    ).hexdigest()


def device_code_checksum(device_code: str) -> str:
    return hashlib.sha256(device_code.encode()).hexdigest()


def device_authorization_create(*, client, scope: str) -> tuple[object, str, str]:
    """Starts a device authorization for ``client`` and ``scope``: (row, device code, user code);
    only the codes' checksums are stored."""
    device_code = secrets.token_urlsafe(32)
    user_code = new_user_code()
    grant = get_device_grant_model().objects.create(
        client_id=client.client_id,
        device_code=device_code_checksum(device_code),
        user_code=user_code_checksum(user_code),
        scope=scope,
        interval=oauth2_settings.DEVICE_FLOW_INTERVAL,
        expires=timezone.now() + timedelta(seconds=conf.get("DEVICE_CODE_EXPIRE_SECONDS")),
    )
    return grant, device_code, user_code


def pending_by_user_code(typed: str):
    """The unexpired device authorization still waiting for a user that ``typed`` names, or None."""
    model = get_device_grant_model()
    if not normalize_user_code(typed) or len(typed) > 64:
        return None
    return model.objects.filter(
        user_code=user_code_checksum(typed), status=model.AUTHORIZATION_PENDING, expires__gt=timezone.now()
    ).first()


def pending_by_pk(pk):
    """The unexpired device authorization ``pk`` if it still waits for a user, or None."""
    model = get_device_grant_model()
    if not isinstance(pk, int):
        return None
    return model.objects.filter(pk=pk, status=model.AUTHORIZATION_PENDING, expires__gt=timezone.now()).first()


@transaction.atomic
@transaction.atomic
def device_authorization_decide(
    *, grant, user, allow: bool, auth_time: float | None = None, acr: str | None = None
) -> bool:
    """The user allows or denies the device; False when it was decided, or expired, meanwhile.
    An allowed device's tokens stand for the sign-in (``auth_time``, ``acr``) of the browser that
    allowed it, kept with the grant (``DeviceGrantSignIn``) for the API's step-up (RFC 9470)."""
    model = get_device_grant_model()
    status = model.AUTHORIZED if allow else model.DENIED
    changed = model.objects.filter(
        pk=grant.pk, status=model.AUTHORIZATION_PENDING, expires__gt=timezone.now()
    ).update(status=status, user=user)
    grant.status, grant.user = status, user
    if changed == 1 and allow and (auth_time is not None or acr):
        DeviceGrantSignIn.objects.create(
            grant_id=grant.pk,
            acr=acr or "",
            auth_time=datetime.fromtimestamp(auth_time, tz=UTC) if auth_time is not None else None,
        )
    return changed == 1


@transaction.atomic
def device_poll(*, client, device_code: str) -> tuple[str | None, object]:
    """What the device hears when it polls (an oauthlib ``DeviceCodeGrant`` status, None for a code
    that is not this client's), and the row. A device that polls again sooner than its interval is
    told ``slow_down`` and must wait 5 seconds longer from then on (RFC 8628 §3.5)."""
    model = get_device_grant_model()
    grant = (
        # ``of``: the grant's row only (PostgreSQL cannot lock the nullable side of the user join).
        model.objects.select_for_update(of=("self",))
        .filter(device_code=device_code_checksum(device_code), client_id=client.client_id)
        .select_related("user", SIGN_IN_RELATED_NAME)
        .first()
    )
    if grant is None:
        return None, None
    now = timezone.now()
    if grant.status == model.EXPIRED or grant.expires <= now:
        if grant.status != model.EXPIRED:
            model.objects.filter(pk=grant.pk).update(status=model.EXPIRED)
        return EXPIRED, grant
    if grant.status == model.DENIED:
        return DENIED, grant
    if grant.status == model.AUTHORIZED:
        return AUTHORIZED, grant
    too_soon = grant.last_checked + timedelta(seconds=grant.interval) > now
    # ``last_checked`` is DOT's auto_now column: the time of this poll.
    updates = {"last_checked": now}
    if too_soon:
        updates["interval"] = grant.interval + SLOW_DOWN_SECONDS
    model.objects.filter(pk=grant.pk).update(**updates)
    return (SLOW_DOWN if too_soon else PENDING), grant


@transaction.atomic
def device_exchange(*, device_code: str, client, save_tokens):
    """Spends an allowed device code for the tokens ``save_tokens()`` saves, in one transaction:
    a code is good for one set of tokens, and a concurrent second use finds it gone."""
    model = get_device_grant_model()
    deleted, _ = model.objects.filter(
        device_code=device_code_checksum(device_code), client_id=client.client_id, status=model.AUTHORIZED
    ).delete()
    if not deleted:
        raise errors.InvalidGrantError(description="The device code was already used.")
    return save_tokens()
