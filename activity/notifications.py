"""Security e-mails to the account's own address, through the configured mail backend."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def _send(user, template, **context):
    if not user.email:
        return
    context = {"user": user, **context}
    subject = render_to_string(f"activity/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"activity/email/{template}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def password_changed(*, user, how: str) -> None:
    """Tell the user their password was changed or reset (if it was not them, they must act)."""
    _send(user, "password_changed", how=how)


def provider_linked(*, user, provider: str) -> None:
    """Tell the user a provider account can now sign in to their Beer Locker account."""
    _send(user, "provider_linked", provider=provider)
