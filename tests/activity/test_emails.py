"""The account e-mails: every one a text and an HTML part, and the new-browser sign-in notice
sent only when a browser without the account's device cookie signs in to an account that
signed in before."""

from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.support.http import BrowserClient

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent.parent
FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def sign_in(browser, user):
    response = browser.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def html_part(message):
    ((html, kind),) = message.alternatives
    assert kind == "text/html"
    return html


def test_every_email_template_has_a_subject_a_text_and_an_html_part():
    texts = [p for p in (ROOT / "templates").rglob("email/*.txt") if not p.name.endswith("_subject.txt")]
    texts.append(ROOT / "templates/registration/password_reset_email.txt")

    assert len(texts) >= 9  # the glob finds them (personal_token_created, passkey_added/removed among them)
    for text in texts:
        assert text.with_suffix(".html").is_file(), text
        assert text.with_name(text.stem + "_subject.txt").is_file(), text


def test_a_browser_without_the_device_cookie_is_told_of_with_browser_system_and_address(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(email="carol@example.com")
    sign_in(BrowserClient(), user)  # the account's first sign-in, from its first browser
    stranger = BrowserClient(HTTP_USER_AGENT=FIREFOX_ON_LINUX, REMOTE_ADDR="203.0.113.9")

    with django_capture_on_commit_callbacks(execute=True):
        sign_in(stranger, user)

    (message,) = mail.outbox
    assert message.to == ["carol@example.com"]
    assert message.subject == "New sign-in to your Beer Locker account from Firefox 128.0 on Ubuntu"
    for body in (message.body, html_part(message)):
        assert "Firefox 128.0 on Ubuntu" in body
        assert "203.0.113.9" in body
        assert PASSWORD not in body


def test_a_known_browser_signing_in_again_sends_nothing(django_capture_on_commit_callbacks):
    user = UserFactory(email="carol@example.com")
    browser = BrowserClient()
    sign_in(browser, user)
    browser.post(reverse("logout"))

    with django_capture_on_commit_callbacks(execute=True):
        sign_in(browser, user)  # carries the device cookie its first sign-in set

    assert mail.outbox == []


def test_the_sign_in_right_after_sign_up_sends_only_the_verification_email(
    client, django_capture_on_commit_callbacks
):
    data = {"username": "dave", "email": "dave@example.com", "password1": PASSWORD, "password2": PASSWORD}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", data)

    assert response.status_code == 302
    assert [message.subject for message in mail.outbox] == ["Confirm your Beer Locker e-mail address"]


def test_a_failed_sign_in_from_an_unknown_browser_sends_nothing(django_capture_on_commit_callbacks):
    user = UserFactory(email="carol@example.com")
    sign_in(BrowserClient(), user)

    with django_capture_on_commit_callbacks(execute=True):
        response = BrowserClient().post(reverse("login"), {"username": user.username, "password": "wrong"})

    assert response.status_code == 200
    assert mail.outbox == []


def test_password_changed_email_has_both_parts(client, user, django_capture_on_commit_callbacks):
    client.force_login(user)
    new = "a brand new passphrase"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("password_change"),
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        )

    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.subject == "Your Beer Locker password was changed"
    assert "was changed" in message.body and "was changed" in html_part(message)
    assert new not in message.body + html_part(message)
