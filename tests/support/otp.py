"""Second-factor helpers: what a person's authenticator app does, computed from the secret a page shows."""

import base64
import re
import time

from django.urls import reverse
from django_otp.oath import TOTP


def secret_from_page(html: str) -> bytes:
    """The authenticator key shown as text on the "add an authenticator app" page."""
    match = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html)
    assert match, "no secret on the page"
    text = match.group(1).replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def code(key: bytes, steps_ahead: int = 0) -> str:
    """The code an app shows for ``key``, ``steps_ahead`` 30-second steps from now (django-otp
    accepts one step either side, so tests use the next step's code for a sign-in after the step
    whose code confirmed the app)."""
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def recovery_codes_from_page(html: str) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", html)


def add_authenticator(browser, name: str = "Phone") -> tuple[bytes, list[str]]:
    """Add an authenticator app on the security page as a person does; returns its key and the
    recovery codes shown once after the first one."""
    response = browser.post(reverse("accounts:totp-start"))
    assert response.status_code == 302, response
    page = browser.get(reverse("accounts:totp-confirm"))
    assert page.status_code == 200
    key = secret_from_page(page.content.decode())
    confirmed = browser.post(reverse("accounts:totp-confirm"), {"name": name, "token": code(key)})
    assert confirmed.status_code in (200, 302), confirmed.content
    return key, recovery_codes_from_page(confirmed.content.decode()) if confirmed.status_code == 200 else []
