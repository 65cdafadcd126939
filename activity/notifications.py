"""Security e-mails to the account's own address, through the configured mail backend."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def _send(user, template, *, to=None, **context):
    address = to or user.email
    if not address:
        return
    context = {"user": user, **context}
    subject = render_to_string(f"activity/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"activity/email/{template}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])


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
