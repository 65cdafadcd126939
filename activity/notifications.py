"""Security e-mails to the account's own address, through the configured mail backend."""

from accounts.mail import mail_send


def _send(user, template, *, to=None, **context):
    mail_send(template=f"activity/email/{template}", to=to or user.email, context={"user": user, **context})


def password_changed(*, user, how: str) -> None:
    """Tell the user their password was changed or reset (if it was not them, they must act)."""
    _send(user, "password_changed", how=how)


def provider_linked(*, user, provider: str) -> None:
    """Tell the user a provider account can now sign in to their Beer Locker account."""
    _send(user, "provider_linked", provider=provider)


def email_changed(*, user, old_email: str) -> None:
    """Tell the OLD address it is no longer the account's (whoever changed it now receives the
    account's mail, password resets included; if it was not the user, they must act)."""
    _send(user, "email_changed", to=old_email, old_email=old_email)


def passkey_added(*, user, name: str) -> None:
    """Tell the user a passkey can now sign in to their account (if it was not them, they must act)."""
    _send(user, "passkey_added", name=name)


def passkey_removed(*, user, name: str) -> None:
    """Tell the user one of their passkeys was removed and can no longer sign in."""
    _send(user, "passkey_removed", name=name)


def new_sign_in(*, user, device: str, address: str | None) -> None:
    """Tell the user their account was signed in to from a browser that had not signed in to it
    before (``device``: browser and system; ``address``: the client's IP address, if known)."""
    _send(user, "new_sign_in", device=device, address=address)


def second_factor_changed(*, user, added: bool, factor: str, name: str) -> None:
    """Tell the user a second factor was added to or removed from their account."""
    _send(user, "second_factor_changed", added=added, factor=factor, name=name)


def recovery_codes(*, user, used: bool, remaining: int) -> None:
    """Tell the user a recovery code was used to sign in (``used``) or a new set was made."""
    _send(user, "recovery_codes", used=used, remaining=remaining)


def personal_token_created(*, user, name: str, scopes: list[str], expires) -> None:
    """Tell the user a personal access token was created for their account (a standing way in
    for scripts: if it was not them, they must revoke it)."""
    _send(user, "personal_token_created", name=name, scopes=scopes, expires=expires)
