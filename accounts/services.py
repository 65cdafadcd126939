"""Every write to an account goes through here: the user API, the pages, the admin and commands share it."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction

from accounts.models import UserSession
from accounts.signals import password_changed, session_ended
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
def user_create(*, username: str, password: str, email: str = "") -> User:
    """Create an account after Django's password validators accept the password (their messages
    keyed by ``password``, so the API and the sign-up page show them on that field)."""
    user = User(username=username, email=email)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from error
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def user_update(*, user: User, email: str | None = None) -> User:
    """Change the account's e-mail address (a PATCH without one changes nothing)."""
    if email is not None:
        user.email = email
    user.full_clean()
    user.save(update_fields=["email"])
    return user


@transaction.atomic
def user_delete(*, user: User, actor: User | None = None) -> None:
    """Delete the account and, by cascade, everything it owns (beers, clients, grants, tokens).
    Its sessions end first, each through ``session_end`` (so the applications it signed in to
    hear of it by back-channel logout, in this transaction), not silently by the cascade.
    ``actor``: who deletes it (an administrator), or None for the user themselves."""
    user_sessions_end(user=user, by=EndedBy.ACCOUNT_DELETED, actor=actor or user)
    user.delete()


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
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
def session_end(*, session: UserSession, by: EndedBy, actor: User | None = None) -> None:
    """End one browser session: its row and any cached copy are deleted through the session engine
    (the browser is signed out on its next request), then ``session_ended`` is sent. The one way a
    session ends, so whatever must follow (activity, back-channel logout) hooks in once."""
    session.get_session_store_class()(session_key=session.session_key).delete()
    session_ended.send(sender=UserSession, session=session, by=EndedBy(by), actor=actor)


@transaction.atomic
def user_sessions_end(
    *, user: User, except_session: UserSession | None = None, by: EndedBy, actor: User | None = None
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
    *, user: User, how: str, keep_session: UserSession | None = None, admin: User | None = None
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
