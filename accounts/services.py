"""Every write to an account goes through here: the user API, the sign-up page and commands share it."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from oauthclients.services import user_tokens_revoke

User = get_user_model()


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
def user_update(*, user: User, email: str) -> User:
    """Change the account's e-mail address."""
    user.email = email
    user.full_clean()
    user.save(update_fields=["email"])
    return user


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the account and, by cascade, everything it owns (beers, clients, grants, tokens)."""
    user.delete()


@transaction.atomic
def user_password_changed(*, user: User) -> None:
    """End what the old password could have granted, once ``user``'s password has changed (the
    password-change page, a reset): every OAuth access and refresh token and every outstanding
    authorization code. The user's other browser sessions end with the old password (each holds
    a hash of it, which Django checks on every request); the view keeps the current one."""
    user_tokens_revoke(user=user)
