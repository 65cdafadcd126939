"""Every write to an account goes through here: the user API, the pages, the admin and commands share it."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as UserModel
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import emails, factors
from accounts.mail import mail_send
from accounts.models import (
    RECOVERY_CODE_COUNT,
    RecoveryCode,
    RecoveryCodeDevice,
    UserSession,
    VerifiedEmail,
    recovery_code_digests,
    recovery_code_new,
)
from accounts.signals import (
    email_changed,
    email_verified,
    password_changed,
    recovery_code_used,
    recovery_codes_generated,
    second_factor_added,
    second_factor_removed,
    session_ended,
)
from oauthclients.services import user_tokens_revoke

User = get_user_model()


class EndedBy(models.TextChoices):
    """Why a session ended (``session_ended``'s ``by``)."""

    SIGN_OUT = "sign_out", "Signed out in that browser"
    USER = "user", "Ended by the user"
    ADMIN = "admin", "Ended by an administrator"
    PASSWORD_CHANGE = "password_change", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"
    PROVIDER_LOGOUT = "provider_logout", "Signed out at the sign-in provider"
    ACCOUNT_DELETED = "account_deleted", "Account deleted"
    # Django's login() flushes the session a browser had for another account (or one that no
    # longer matches its user's password): the old session ends then, not only when it expires.
    REPLACED = "replaced", "Replaced by a new sign-in in that browser"
    EXPIRED = "expired", "Expired"


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", site_url: str = "") -> UserModel:
    """Create an account after Django's password validators accept the password (their messages
    keyed by ``password``, so the API and the sign-up page show them on that field). Its address
    is unverified until the link e-mailed to it is followed."""
    user = User(username=username, email=email)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from error
    user.set_password(password)
    user.full_clean()
    user.save()
    if user.email:
        email_verification_send(user=user, site_url=site_url)
    return user


# How recent a sign-in must be to change the address without entering the password again.
RECENT_SIGN_IN_SECONDS = 5 * 60


@transaction.atomic
def user_update(
    *, user: UserModel, email: str | None = None, recently_authenticated: bool = False, site_url: str = ""
) -> UserModel:
    """Change the account's e-mail address (a PATCH without one changes nothing).

    A new address takes a recent authentication (``recently_authenticated``: the password given
    with this request, or a sign-in within ``RECENT_SIGN_IN_SECONDS``): whoever holds the address
    can reset the password. Then ``email_changed`` is sent (the activity log records it and the
    OLD address is told) and a verification link goes to the new one, which is unverified until
    the link is followed."""
    old_email = user.email
    if email is None or email == old_email:
        return user
    if not recently_authenticated:
        raise ValidationError(
            {"password": [_("Enter your current password to change your e-mail address.")]},
            code="reauthenticate",
        )
    user.email = email
    user.full_clean()
    user.save(update_fields=["email"])
    email_changed.send(sender=type(user), user=user, old_email=old_email)
    if user.email:
        email_verification_send(user=user, site_url=site_url)
    return user


def email_verification_send(*, user: UserModel, site_url: str = "") -> None:
    """E-mail ``user`` a signed, expiring link that verifies their current address (after commit);
    ``site_url`` (scheme and host, from the request) makes the link absolute."""
    token = emails.verification_token(user)
    address = user.email

    def send():  # composed once the change is committed, like every other e-mail here
        path = reverse("accounts:email-verify", kwargs={"token": token})
        context = {
            "user": user,
            "site_url": site_url,
            "path": path,
            "days": emails.LINK_MAX_AGE_SECONDS // 86400,
        }
        mail_send(template="accounts/email/verify_email", to=address, context=context)

    transaction.on_commit(send)


@transaction.atomic
def email_verify(*, token: str) -> UserModel:
    """Follow a verification link: the address it was signed for is verified, if it is still the
    user's address. A bad, expired or outdated link is a ValidationError and verifies nothing."""
    try:
        user_id, address = emails.verification_claims(token)
    except signing.SignatureExpired as error:
        raise ValidationError(_("This link has expired: ask for a new one."), code="expired") from error
    except signing.BadSignature as error:
        raise ValidationError(_("This link is not valid."), code="invalid") from error
    user = User._default_manager.filter(pk=user_id, is_active=True).first()
    if user is None or user.email != address:
        raise ValidationError(_("This link is for an address the account no longer has."), code="outdated")
    VerifiedEmail.objects.update_or_create(user=user, defaults={"email": address, "verified": timezone.now()})
    email_verified.send(sender=type(user), user=user)
    return user


@transaction.atomic
def user_delete(*, user: UserModel, actor: UserModel | None = None) -> None:
    """Delete the account and, by cascade, everything it owns (beers, clients, grants, tokens).
    Its sessions end first, each through ``session_end`` (so the applications it signed in to
    hear of it by back-channel logout, in this transaction), not silently by the cascade.
    ``actor``: who deletes it (an administrator), or None for the user themselves."""
    user_sessions_end(user=user, by=EndedBy.ACCOUNT_DELETED, actor=actor or user)
    user.delete()


@transaction.atomic
def user_set_password(*, user: UserModel, password: str) -> UserModel:
    """Set the password after Django's validators accept it; for a user who signed up through a
    provider and has none, this is the first one (then they may disconnect that provider)."""
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from error
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def session_end(*, session: UserSession, by: EndedBy, actor: UserModel | None = None) -> None:
    """End one browser session: its row and any cached copy are deleted through the session engine
    (the browser is signed out on its next request), then ``session_ended`` is sent. The one way a
    session ends, so whatever must follow (activity, back-channel logout) hooks in once."""
    session.get_session_store_class()(session_key=session.session_key).delete()
    session_ended.send(sender=UserSession, session=session, by=EndedBy(by), actor=actor)


@transaction.atomic
def user_sessions_end(
    *, user: UserModel, except_session: UserSession | None = None, by: EndedBy, actor: UserModel | None = None
) -> int:
    """End every live session of ``user`` but ``except_session``; returns how many ended."""
    sessions = UserSession.objects.signed_in_as(user).select_for_update()
    if except_session is not None:
        sessions = sessions.exclude(pk=except_session.pk)
    ended = list(sessions)
    for session in ended:
        session_end(session=session, by=by, actor=actor)
    return len(ended)


# How a password came to be new (``user_password_changed``'s ``how``): the user changed it, reset it
# with the e-mailed link, or an administrator set it (the admin's password form, ``changepassword``).
PASSWORD_HOWS = ("change", "reset", "admin")


@transaction.atomic
def user_password_changed(
    *, user: UserModel, how: str, keep_session: UserSession | None = None, admin: UserModel | None = None
) -> None:
    """After a password change (``how="change"``), a reset (``"reset"``) or an administrator's
    reset (``"admin"``, by ``admin``, None for a command run on the server): what the old password
    could have granted ends (every OAuth access and refresh token and outstanding authorization
    code of the user, ``user_tokens_revoke``), every session but ``keep_session`` (the one that
    changed it) ends, then ``password_changed`` is sent."""
    if how not in PASSWORD_HOWS:
        raise ValueError(f"how must be one of {PASSWORD_HOWS}, not {how!r}.")
    user_tokens_revoke(user=user)
    by = EndedBy.PASSWORD_CHANGE if how == "change" else EndedBy.PASSWORD_RESET
    actor = admin if how == "admin" else user
    user_sessions_end(user=user, except_session=keep_session, by=by, actor=actor)
    password_changed.send(sender=type(user), user=user, how=how, admin=admin if how == "admin" else None)


# --- Second factors (django-otp devices; accounts.factors reads them) --------------------------


def totp_device_start(*, user: UserModel, name: str = "") -> TOTPDevice:
    """A new authenticator app, unconfirmed (it does not count until ``totp_device_confirm``): its
    secret is what the user's app scans. An earlier unconfirmed one of the user is discarded."""
    name = (name or "").strip() or "Authenticator app"
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice(user=user, name=name[:64], confirmed=False)
        device.full_clean()
        device.save()
    return device


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str) -> TOTPDevice:
    """Confirm a new authenticator app with a code it shows: from then on it is a second factor
    (``second_factor_added`` is sent). A wrong code is a ValidationError and confirms nothing."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.confirmed:
        return device
    if not device.verify_token((token or "").strip()):
        raise ValidationError({"token": ["That code is not right: enter the one your app shows now."]})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    second_factor_added.send(
        sender=type(device.user), user=device.user, kind=factors.KIND_TOTP, name=device.name
    )
    return device


@transaction.atomic
def recovery_codes_generate(*, user: UserModel) -> list[str]:
    """A new set of ``RECOVERY_CODE_COUNT`` recovery codes, replacing every earlier one; returns
    the codes themselves, which are never stored (only their HMAC) and shown once."""
    device, created = RecoveryCodeDevice.objects.select_for_update().get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [recovery_code_new() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=recovery_code_digests(code)[0]) for code in codes
    )
    if created:
        second_factor_added.send(sender=type(user), user=user, kind=factors.KIND_RECOVERY, name=device.name)
    recovery_codes_generated.send(sender=type(user), user=user, count=len(codes))
    return codes


def recovery_code_spent(*, device: RecoveryCodeDevice) -> None:
    """Tell of a recovery code used to sign in (the device deleted the code itself)."""
    recovery_code_used.send(sender=type(device.user), user=device.user, remaining=device.remaining())


@transaction.atomic
def second_factor_remove(*, device, recently_authenticated: bool) -> None:
    """Remove one of the user's second factors. It takes a recent authentication
    (``recently_authenticated``: a sign-in moments ago, or the password or a code given now):
    otherwise whoever found the browser signed in could drop the factor that protects it.
    Removing the last authenticator leaves recovery codes alone (they keep being a factor)."""
    if not recently_authenticated:
        raise ValidationError(
            {"password": ["Enter your password (or a code) again to remove a second factor."]},
            code="reauthenticate",
        )
    kind, name, user = factors.device_kind(device), device.name, device.user
    device.delete()
    second_factor_removed.send(sender=type(user), user=user, kind=kind, name=name, reset=False, admin=None)


@transaction.atomic
def second_factors_reset(*, user: UserModel, admin: UserModel | None = None) -> int:
    """An administrator's reset for a user who lost every factor: all of them are removed (each
    told with ``second_factor_removed``, ``admin`` named) and the user's sessions end, so the next
    sign-in is with the password alone. Returns how many were removed."""
    removed = factors.factors_of(user)
    for factor in removed:
        factor.device.delete()
        second_factor_removed.send(
            sender=type(user), user=user, kind=factor.kind, name=factor.name, reset=True, admin=admin
        )
    # Unconfirmed leftovers too: nothing of the old set survives.
    TOTPDevice.objects.filter(user=user).delete()
    user_sessions_end(user=user, by=EndedBy.ADMIN, actor=admin)
    return len(removed)
