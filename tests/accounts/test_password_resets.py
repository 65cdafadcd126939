"""A password an administrator sets, in the admin or with ``manage.py changepassword``, does what any
new password does (``accounts.services.user_password_changed``): the user's tokens stop working,
their sessions end, the activity log says so and the user gets an e-mail."""

import getpass

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command, get_commands
from django.urls import reverse

from accounts.models import UserSession
from activity.models import Event, Kind
from tests.factories import PASSWORD, UserFactory
from tests.support.http import bearer_api, is_signed_in, signed_in_with_password

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "an administrator's new passphrase"


def token_works(token) -> bool:
    return bearer_api(token).get("/api/beers").status_code == 200


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def targeted(user, access_token):
    """What ``user`` holds before the reset: a signed-in browser and an application's token."""
    token = access_token("beers:read")
    session = signed_in_with_password(user)
    assert token_works(token) and is_signed_in(session)
    mail.outbox.clear()
    return session, token


def post_password_form(admin_browser, user, password1, password2=None):
    return admin_browser.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": password1, "password2": password2 or password1, "usable_password": "true"},
    )


def assert_everything_ended(user, session, token):
    assert bearer_api(token).get("/api/beers").status_code == 401
    assert not is_signed_in(session)
    assert not UserSession.objects.signed_in_as(user).exists()
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "Your Beer Locker password was reset by an administrator"
    assert "An administrator reset the password" in message.body
    assert NEW_PASSWORD not in message.body


# --- The admin's password form ------------------------------------------------------------------


def test_an_administrator_resetting_a_password_in_the_admin_ends_the_users_tokens_and_sessions(
    user, superuser, targeted, django_capture_on_commit_callbacks
):
    session, token = targeted
    admin_browser = signed_in_with_password(superuser)

    with django_capture_on_commit_callbacks(execute=True):  # the e-mail leaves once it committed
        response = post_password_form(admin_browser, user, NEW_PASSWORD)

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_everything_ended(user, session, token)
    event = Event.objects.get(kind=Kind.PASSWORD_RESET, user=user)
    assert event.details == {"by": "administrator", "admin": superuser.username}
    ended = Event.objects.get(kind=Kind.SESSION_ENDED, user=user)
    assert ended.details["reason"] == "password_reset" and ended.details["admin"] == superuser.username
    assert is_signed_in(admin_browser)  # the administrator's own session is not the user's
    assert is_signed_in(signed_in_with_password(user, NEW_PASSWORD))


def test_the_users_activity_page_says_an_administrator_reset_it(user, superuser, targeted):
    post_password_form(signed_in_with_password(superuser), user, NEW_PASSWORD)

    page = signed_in_with_password(user, NEW_PASSWORD).get(reverse("activity:list"))

    assert 'Password reset <span class="hint">(by an administrator)</span>' in page.content.decode()


def test_an_administrator_changing_their_own_password_in_the_admin_keeps_this_session(
    superuser, django_capture_on_commit_callbacks
):
    here, elsewhere = signed_in_with_password(superuser), signed_in_with_password(superuser)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_password_form(here, superuser, NEW_PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert Event.objects.filter(kind=Kind.PASSWORD_CHANGED, user=superuser).count() == 1
    assert mail.outbox[-1].subject == "Your Beer Locker password was changed"


def test_a_refused_password_form_changes_nothing(
    user, superuser, targeted, django_capture_on_commit_callbacks
):
    session, token = targeted

    with django_capture_on_commit_callbacks(execute=True):
        response = post_password_form(
            signed_in_with_password(superuser), user, NEW_PASSWORD, "something else entirely"
        )

    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert token_works(token) and is_signed_in(session)
    assert not Event.objects.filter(kind=Kind.PASSWORD_RESET).exists()
    assert mail.outbox == []


# --- manage.py changepassword -------------------------------------------------------------------


def test_changepassword_is_this_projects_command():
    assert get_commands()["changepassword"] == "accounts"


def test_changepassword_ends_the_users_tokens_and_sessions(
    user, targeted, monkeypatch, capsys, django_capture_on_commit_callbacks
):
    session, token = targeted
    monkeypatch.setattr(getpass, "getpass", lambda prompt="Password: ": NEW_PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("changepassword", user.username)

    assert f"Password changed successfully for user '{user.username}'" in capsys.readouterr().out
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_everything_ended(user, session, token)
    event = Event.objects.get(kind=Kind.PASSWORD_RESET, user=user)
    assert event.details == {"by": "administrator"}  # a command run on the server: no admin account


def test_a_changepassword_that_fails_changes_nothing(
    user, targeted, monkeypatch, django_capture_on_commit_callbacks
):
    session, token = targeted
    answers = iter(["one passphrase here", "another passphrase"] * 3)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="Password: ": next(answers))

    with (
        pytest.raises(CommandError, match="Aborting password change"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("changepassword", user.username)

    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert token_works(token) and is_signed_in(session)
    assert mail.outbox == []
