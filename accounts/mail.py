"""The one way the project composes an e-mail: ``<name>_subject.txt``, ``<name>.txt`` and
``<name>.html`` rendered with the same context and sent as multipart/alternative (the plain text
first, for mail readers that show no HTML), through whatever backend ``EMAIL_URL`` configures.

Callers send after their transaction commits (``transaction.on_commit``): nothing is mailed about a
change that was rolled back. An e-mail carries no secret but the single-use link it exists for.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def mail_send(*, template: str, to: str, context: dict) -> None:
    """Render ``template``'s subject, text and HTML parts with ``context`` and send them to ``to``
    (nothing is sent to an empty address)."""
    if not to:
        return
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()
