"""Changing the e-mail address (issue 19 §4): a recent authentication, the OLD address told, an
activity event, and a new address verified only by following the signed, expiring link sent
to it. What trusts our addresses (the email_verified claim) sees only verified ones."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import emails
from accounts.models import UserSession, VerifiedEmail
from activity.models import Event, Kind
from tests.factories import PASSWORD, UserFactory
from tests.support.http import bearer_api, signed_in_with_password
from tests.support.oauth import mint_tokens

# The e-mails leave after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)
ME = "/api/users/me"


@pytest.fixture
def user(transactional_db):
    user = UserFactory(email="old@example.com")
    mail.outbox.clear()  # its sign-up's verification link
    return user


def link_in(message) -> str:
    return re.search(r"https?://testserver(/accounts/verify-email/[^/\s]+/)", message.body).group(1)


def signed_in_long_ago(user):
    browser = signed_in_with_password(user)
    UserSession.objects.filter(user=user).update(started=timezone.now() - timedelta(hours=2))
    return browser


def fresh(user):
    user.refresh_from_db()
    return user


def stored_email(user):
    user.refresh_from_db()
    return user.email


def test_a_session_signed_in_long_ago_must_give_the_password(user):
    browser = signed_in_long_ago(user)
    response = browser.patch(ME, {"email": "new@example.com"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"password": ["Enter your current password to change your e-mail address."]}
    assert stored_email(user) == "old@example.com"
    assert mail.outbox == []
    assert not Event.objects.filter(kind=Kind.EMAIL_CHANGED).exists()


def test_a_wrong_password_changes_nothing(user):
    browser = signed_in_long_ago(user)
    response = browser.patch(
        ME, {"email": "new@example.com", "password": "wrong"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert stored_email(user) == "old@example.com"
    assert mail.outbox == []


def test_with_the_password_the_change_is_recorded_told_to_the_old_address_and_verified_by_link(user):
    browser = signed_in_long_ago(user)
    response = browser.patch(
        ME, {"email": "new@example.com", "password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "new@example.com"
    assert not emails.email_verified(fresh(user))
    assert "password" not in response.json()
    event = Event.objects.get(kind=Kind.EMAIL_CHANGED)
    assert event.user == user
    assert event.details == {"old_email": "old@example.com", "new_email": "new@example.com"}
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"old@example.com", "new@example.com"}
    assert "new@example.com" in by_address["old@example.com"].body  # the old address is told
    assert "/accounts/verify-email/" not in by_address["old@example.com"].body

    page = APIClient().get(link_in(by_address["new@example.com"]))  # any browser may follow it

    assert page.status_code == 200
    assert b"E-mail verified" in page.content
    assert emails.email_verified(fresh(user))
    assert Event.objects.filter(kind=Kind.EMAIL_VERIFIED, user=user).exists()


def test_http_basic_carries_the_password_with_the_request(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=_basic(user))
    response = client.patch(ME, {"email": "new@example.com"}, format="json")
    assert response.status_code == 200, response.content
    assert stored_email(user) == "new@example.com"


def test_a_fresh_sign_in_may_change_it_without_the_password_again(user):
    browser = signed_in_with_password(user)
    response = browser.patch(ME, {"email": "new@example.com"}, content_type="application/json")
    assert response.status_code == 200, response.content


def test_a_bearer_token_cannot_change_the_address(user):
    token = mint_tokens(user, scope="profile")["access_token"]
    response = bearer_api(token).patch(ME, {"email": "new@example.com"}, format="json")
    assert response.status_code == 403
    assert stored_email(user) == "old@example.com"


def test_a_link_for_a_previous_address_verifies_nothing(user):
    browser = signed_in_with_password(user)
    browser.patch(ME, {"email": "first@example.com"}, content_type="application/json")
    first_link = link_in(next(m for m in mail.outbox if m.to == ["first@example.com"]))
    browser.patch(ME, {"email": "second@example.com"}, content_type="application/json")

    page = browser.get(first_link)

    assert page.status_code == 400
    assert b"no longer has" in page.content
    assert not VerifiedEmail.objects.exists()
    assert not emails.email_verified(fresh(user))


def test_an_expired_or_forged_link_verifies_nothing(user, monkeypatch):
    browser = signed_in_with_password(user)
    browser.patch(ME, {"email": "new@example.com"}, content_type="application/json")
    link = link_in(next(m for m in mail.outbox if m.to == ["new@example.com"]))
    forged = browser.get(link.replace("/verify-email/", "/verify-email/x"))
    monkeypatch.setattr(emails, "LINK_MAX_AGE_SECONDS", -1)
    expired = browser.get(link)
    assert (forged.status_code, expired.status_code) == (400, 400)
    assert b"expired" in expired.content
    assert not VerifiedEmail.objects.exists()


def test_sign_up_sends_the_link_and_the_address_is_unverified_until_followed(transactional_db):
    response = APIClient().post(
        "/api/users",
        {"username": "newbie", "email": "newbie@example.com", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 201, response.content
    (message,) = mail.outbox
    assert message.to == ["newbie@example.com"]
    assert not emails.email_verified(UserFactory._meta.model.objects.get(username="newbie"))
    assert APIClient().get(link_in(message)).status_code == 200
    assert emails.email_verified(UserFactory._meta.model.objects.get(username="newbie"))


def test_the_sign_up_page_sends_the_link_too(transactional_db):
    browser = APIClient()
    response = browser.post(
        "/accounts/signup/",
        {"username": "paged", "email": "paged@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["paged@example.com"]]


def test_the_email_verified_claim_is_true_only_for_a_verified_address(user):
    token = mint_tokens(user, scope="openid email")["access_token"]
    before = bearer_api(token).get("/api/oauth2/userinfo").json()
    VerifiedEmail.objects.create(user=user, email="OLD@example.com")
    after = bearer_api(token).get("/api/oauth2/userinfo").json()
    assert (before["email_verified"], after["email_verified"]) == (False, True)


def _basic(user):
    from tests.support.http import basic_auth_header

    return basic_auth_header(user.username, PASSWORD)
