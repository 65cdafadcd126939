"""E-mail through a real SMTP server (aiosmtpd on a loopback port), configured the way an operator
does it, by ``EMAIL_URL``: what arrives is read back and its link followed."""

import re
import smtplib

import environ
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from accounts.emails import email_verified
from tests.factories import PASSWORD, UserFactory
from tests.support.smtp import self_signed_certificate, smtp_server

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://testserver(/\S+?)(?=[\s\"<])")


def use_email_url(settings, url):
    """What beerlocker/settings.py does with ``EMAIL_URL``: django-environ's parse into EMAIL_*."""
    for name, value in environ.Env.email_url_config(url).items():
        setattr(settings, name, value)


@pytest.fixture
def smtp(settings):
    """A plain SMTP server and ``EMAIL_URL=smtp://127.0.0.1:<port>``; yields its mailbox."""
    with smtp_server() as (port, mailbox):
        use_email_url(settings, f"smtp://127.0.0.1:{port}")
        yield mailbox


def parts(message):
    """(plain text, HTML) of a multipart/alternative message."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_the_verification_email_arrives_as_text_and_html_and_its_link_verifies_the_address(
    client, smtp, django_capture_on_commit_callbacks
):
    data = {"username": "alice", "email": "alice@example.com", "password1": PASSWORD, "password2": PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", data)
    assert response.status_code == 302

    (received,) = smtp.received
    message = received.message
    assert received.recipients == ["alice@example.com"]
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Confirm your Beer Locker e-mail address"
    text, html = parts(message)
    assert PASSWORD not in text + html  # nothing but the link it exists for
    (path,) = set(LINK.findall(text))
    assert path.startswith(reverse("accounts:email-verify", kwargs={"token": "x"})[:-2])
    assert f'href="http://testserver{path}"' in html  # the same link in both parts
    user = get_user_model().objects.get(username="alice")
    assert not email_verified(user)

    page = client.get(path)

    assert page.status_code == 200
    assert "alice@example.com" in page.content.decode()
    assert email_verified(user)


def test_nothing_is_sent_when_the_sign_up_is_refused(client, smtp, django_capture_on_commit_callbacks):
    data = {"username": "alice", "email": "alice@example.com", "password1": "123", "password2": "123"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", data)

    assert response.status_code == 200
    assert smtp.received == []


def test_the_password_reset_email_arrives_as_text_and_html_and_its_link_sets_a_password(client, smtp):
    user = UserFactory(email="bob@example.com")

    response = client.post(reverse("password_reset"), {"email": "bob@example.com"})

    assert response.status_code == 302
    (received,) = smtp.received
    assert received.recipients == ["bob@example.com"]
    assert received.message["Subject"] == "Reset your Beer Locker password"
    text, html = parts(received.message)
    (path,) = set(LINK.findall(text))
    assert f'href="http://testserver{path}"' in html
    form = client.get(path, follow=True)
    assert form.status_code == 200
    new = "a brand new passphrase"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_smtp_tls_url_upgrades_with_starttls_and_signs_in_before_sending(settings, tmp_path, monkeypatch):
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this server's certificate only
    account = {"user": "mailer@example.com", "password": "p@ss/word"}
    with smtp_server(tls_files=(cert, key), **account) as (port, mailbox):
        # User and password percent-encoded, as docs/configuration.md says.
        use_email_url(settings, f"smtp+tls://mailer%40example.com:p%40ss%2Fword@127.0.0.1:{port}")
        assert settings.EMAIL_USE_TLS

        call_command("sendtestemail", "ops@example.com")  # the check docs/configuration.md documents

    assert mailbox.signed_in_as == ["mailer@example.com"]
    (received,) = mailbox.received
    assert received.recipients == ["ops@example.com"]
    assert received.message["Subject"].startswith("Test email from")


def test_smtp_tls_with_a_wrong_password_fails_loudly_and_delivers_nothing(settings, tmp_path, monkeypatch):
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with smtp_server(tls_files=(cert, key), user="mailer", password="right") as (port, mailbox):
        use_email_url(settings, f"smtp+tls://mailer:wrong@127.0.0.1:{port}")

        with pytest.raises(smtplib.SMTPAuthenticationError):
            call_command("sendtestemail", "ops@example.com")

    assert mailbox.received == []
    assert mailbox.signed_in_as == []
