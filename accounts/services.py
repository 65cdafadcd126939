"""Every write to an account goes through here: the user API, the sign-up page and commands share it."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

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
