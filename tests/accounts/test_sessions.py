"""Browser sessions the user can see and end: the page, the API, the admin and password changes."""

import re
import time
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import UserSession
from accounts.services import EndedBy, session_end
from accounts.signals import session_ended
from tests.factories import PASSWORD, UserFactory, make_client
from tests.support.http import basic_auth_header, is_signed_in, signed_in_with_password
from tests.support.oauth import authorize_url, query, user_tokens

pytestmark = pytest.mark.django_db
User = get_user_model()

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
NEW_PASSWORD = "a brand new passphrase"


def browser(user, user_agent=FIREFOX_LINUX, address="203.0.113.7"):
    """A browser with this User-Agent and address that signed in as ``user`` through the form."""
    return signed_in_with_password(user, HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)


def session_of(client) -> UserSession:
    return UserSession.objects.get(session_key=client.session.session_key)


@pytest.fixture
def ended():
    """Every ``session_ended`` sent during the test, as (public id, by, actor)."""
    seen = []

    def receiver(sender, session, by, actor, **kwargs):
        seen.append((session.public_id, by, actor))

    session_ended.connect(receiver)
    yield seen
    session_ended.disconnect(receiver)


# --- what a sign-in records ---------------------------------------------------


def test_signing_in_records_the_session_with_its_browser_address_and_start(user):
    before = time.time()

    client = browser(user)

    session = session_of(client)
    assert session.user == user
    assert session.ip == "203.0.113.7"
    assert session.user_agent == FIREFOX_LINUX
    assert session.started.timestamp() >= int(before)
    assert session.last_active == session.started
    assert len(session.public_id) >= 20
    assert session.public_id not in client.session.session_key


def test_each_sign_in_is_its_own_session_and_signing_out_removes_it(user, ended):
    first, second = browser(user), browser(user, SAFARI_IPHONE)
    public_id = session_of(first).public_id

    first.post(reverse("logout"))

    assert not is_signed_in(first)
    assert is_signed_in(second)
    assert list(UserSession.objects.signed_in_as(user).values_list("user_agent", flat=True)) == [
        SAFARI_IPHONE
    ]
    assert ended == [(public_id, EndedBy.SIGN_OUT, user)]


def test_the_public_id_survives_a_password_change_but_not_a_new_sign_in(user):
    client = browser(user)
    public_id = session_of(client).public_id

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert session_of(client).public_id == public_id  # the key rotated, the session is the same
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": user.username, "password": NEW_PASSWORD})
    assert session_of(client).public_id != public_id


def test_last_active_is_written_at_most_once_a_minute(user):
    client = browser(user)
    started = session_of(client).last_active

    client.get("/")
    assert session_of(client).last_active == started

    later = time.time() + 61
    with mock.patch("accounts.sessions.time.time", return_value=later):
        client.get("/")
    assert session_of(client).last_active.timestamp() == int(later)


def test_a_new_address_is_noted_at_once(user):
    client = browser(user)

    client.get("/", REMOTE_ADDR="198.51.100.20")

    assert session_of(client).ip == "198.51.100.20"


def test_anonymous_sessions_are_not_listed_or_stamped(user, client):
    client.get(reverse("login"))  # may create an anonymous session (CSRF lives in a cookie)

    assert not UserSession.objects.filter(user__isnull=False).exists()
    assert not UserSession.objects.exclude(public_id="").exists()


# --- the sessions page ----------------------------------------------------------


def test_page_lists_each_session_with_browser_system_address_and_this_one(user, other_user):
    here = browser(user, FIREFOX_LINUX, "203.0.113.7")
    browser(user, SAFARI_IPHONE, "198.51.100.4")
    browser(other_user, CHROME_WINDOWS, "192.0.2.99")

    response = here.get(reverse("accounts:sessions"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Firefox 128.0 on Linux" in body
    assert "Mobile Safari 17.1 on iOS 17.1" in body
    assert "203.0.113.7" in body and "198.51.100.4" in body
    assert "Chrome" not in body and "192.0.2.99" not in body  # another user's session
    assert body.count("This session") == 1
    assert "Sign out everywhere else" in body
    for session in UserSession.objects.all():
        assert session.session_key not in body


def test_page_signs_out_another_session_of_mine(user, ended):
    here, there = browser(user), browser(user, SAFARI_IPHONE)
    target = session_of(there)

    response = here.post(reverse("accounts:session-end", args=[target.public_id]), follow=True)

    assert response.status_code == 200
    assert "That session is signed out." in response.content.decode()
    assert not is_signed_in(there)
    assert is_signed_in(here)
    assert ended == [(target.public_id, EndedBy.USER, user)]


def test_page_signing_out_this_session_signs_me_out(user):
    here = browser(user)

    response = here.post(reverse("accounts:session-end", args=[session_of(here).public_id]))

    assert response.status_code == 302
    assert not is_signed_in(here)
    assert not UserSession.objects.signed_in_as(user).exists()


def test_page_cannot_end_someone_elses_session(user, other_user, ended):
    here, theirs = browser(user), browser(other_user)

    response = here.post(reverse("accounts:session-end", args=[session_of(theirs).public_id]))

    assert response.status_code == 404
    assert is_signed_in(theirs)
    assert ended == []


def test_page_signs_out_everywhere_else(user, other_user):
    here = browser(user)
    elsewhere = [browser(user, SAFARI_IPHONE), browser(user, CHROME_WINDOWS)]
    theirs = browser(other_user)

    response = here.post(reverse("accounts:sessions-end-others"), follow=True)

    assert "Signed out of 2 other sessions." in response.content.decode()
    assert is_signed_in(here)
    assert not any(is_signed_in(client) for client in elsewhere)
    assert is_signed_in(theirs)


def test_page_needs_a_signed_in_user(client):
    response = client.get(reverse("accounts:sessions"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- passwords end the other sessions --------------------------------------------


def test_password_change_signs_out_every_other_session_and_keeps_this_one(user, ended):
    here, there = browser(user), browser(user, SAFARI_IPHONE)
    there_id = session_of(there).public_id

    here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert is_signed_in(here)
    assert not is_signed_in(there)
    assert ended == [(there_id, EndedBy.PASSWORD_CHANGE, user)]


def test_password_reset_signs_out_every_session(user, client):
    there = browser(user)
    client.post(reverse("password_reset"), {"email": user.email})
    link = re.search(r"/accounts/reset/\S+/\S+/", mail.outbox[0].body).group(0)
    form_url = client.get(link)["Location"]

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert not is_signed_in(there)
    assert not UserSession.objects.signed_in_as(user).exists()


# --- the admin ---------------------------------------------------------------------


def test_admin_ends_every_session_of_the_selected_users(user, other_user, ended):
    admin = UserFactory(is_staff=True, is_superuser=True)
    admin_browser = browser(admin)
    mine = [browser(user), browser(user, SAFARI_IPHONE)]
    theirs = browser(other_user)

    response = admin_browser.post(
        reverse("admin:auth_user_changelist"),
        {"action": "end_all_sessions", "_selected_action": [user.pk]},
        follow=True,
    )

    assert "Ended 2 sessions." in response.content.decode()
    assert not any(is_signed_in(client) for client in mine)
    assert is_signed_in(theirs)
    assert {(by, actor) for _, by, actor in ended} == {(EndedBy.ADMIN, admin)}


def test_a_staff_member_who_cannot_change_users_cannot_end_sessions(user):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_user"))
    viewer_browser = browser(viewer)
    mine = browser(user)

    response = viewer_browser.post(
        reverse("admin:auth_user_changelist"),
        {"action": "end_all_sessions", "_selected_action": [user.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Ended" not in response.content.decode()
    assert is_signed_in(mine)


# --- the API ---------------------------------------------------------------------


def test_api_lists_my_sessions_newest_activity_first_without_keys(
    user, other_user, django_assert_num_queries
):
    here = browser(user)
    browser(user, SAFARI_IPHONE, "198.51.100.4")
    browser(other_user)
    for number in range(3):
        browser(user, CHROME_WINDOWS, f"192.0.2.{number}")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=basic_auth_header(user.username, PASSWORD))

    # Basic authentication (user, then whether they have a second factor: one UNION across
    # django-otp's device tables) + the count + the page: no query per session.
    with django_assert_num_queries(4):
        response = api.get("/api/me/sessions?page_size=2")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert set(body["results"][0]) == {
        "id",
        "browser",
        "os",
        "address",
        "started",
        "last_active",
        "current",
        "signed_in_with",
    }
    listed = here.get("/api/me/sessions?page_size=100").json()["results"]
    assert {entry["id"] for entry in listed} == set(
        UserSession.objects.signed_in_as(user).values_list("public_id", flat=True)
    )
    assert [entry["current"] for entry in listed].count(True) == 1
    current = next(entry for entry in listed if entry["current"])
    assert current["browser"] == "Firefox 128.0" and current["os"] == "Linux"
    assert current["address"] == "203.0.113.7"
    text = str(listed)
    for session in UserSession.objects.all():
        assert session.session_key not in text


def test_api_lists_with_a_token_holding_sessions_read(user, bearer_client):
    browser(user)

    response = bearer_client("sessions:read").get("/api/me/sessions")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"][0]["current"] is False


def test_api_refuses_a_token_without_the_scope(user, bearer_client):
    response = bearer_client("beers:read").get("/api/me/sessions")

    assert response.status_code == 403
    assert 'scope="sessions:read"' in response["WWW-Authenticate"]


def test_api_needs_credentials(api_client):
    response = api_client.get("/api/me/sessions")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_api_ends_one_of_my_sessions(user, basic_client, ended):
    there = browser(user, SAFARI_IPHONE)
    target = session_of(there)

    response = basic_client.delete(f"/api/me/sessions/{target.public_id}")

    assert response.status_code == 204
    assert not is_signed_in(there)
    assert ended == [(target.public_id, EndedBy.USER, user)]


def test_api_ending_the_current_session_signs_it_out(user):
    here = browser(user)

    response = here.delete(f"/api/me/sessions/{session_of(here).public_id}")

    assert response.status_code == 204
    assert not is_signed_in(here)


def test_api_cannot_end_someone_elses_session(user, other_user, basic_client):
    theirs = browser(other_user)

    response = basic_client.delete(f"/api/me/sessions/{session_of(theirs).public_id}")

    assert response.status_code == 404
    assert response.json() == {"detail": "No UserSession matches the given query."}
    assert is_signed_in(theirs)


def test_api_ends_every_other_session(user, other_user):
    here = browser(user)
    elsewhere = [browser(user, SAFARI_IPHONE), browser(user, CHROME_WINDOWS)]
    theirs = browser(other_user)

    response = here.post("/api/me/sessions/end-others")

    assert response.status_code == 200
    assert response.json() == {"ended": 2}
    assert is_signed_in(here)
    assert not any(is_signed_in(client) for client in elsewhere)
    assert is_signed_in(theirs)


def test_api_writes_need_sessions_write_with_a_token(user, bearer_client):
    there = browser(user)

    refused = bearer_client("sessions:read").post("/api/me/sessions/end-others")
    assert refused.status_code == 403
    assert is_signed_in(there)

    response = bearer_client("sessions:write").post("/api/me/sessions/end-others")
    assert response.json() == {"ended": 1}
    assert not is_signed_in(there)


# --- the service and the engines ------------------------------------------------------


def test_session_end_removes_the_cached_copy_too(user, settings):
    settings.SESSION_ENGINE = "accounts.session_engines.cached_db"
    there = browser(user)
    assert is_signed_in(there)  # now read through the cache

    session_end(session=session_of(there), by=EndedBy.ADMIN)

    assert not is_signed_in(there)
    assert not UserSession.objects.filter(user=user).exists()


def test_deleting_the_user_deletes_their_sessions(user):
    browser(user)

    user.delete()

    assert not UserSession.objects.exists()


# --- the scopes through a real authorization -----------------------------------------------------


def test_a_third_party_app_may_read_sessions_with_consent_but_never_end_them(user):
    client, secret = make_client(scope="sessions:read sessions:write")
    here = browser(user)

    asked = here.get(authorize_url(client, scope="sessions:write"))
    assert query(asked["Location"])["error"] == "invalid_scope"

    tokens = user_tokens(here, APIClient(), client, secret, scope="sessions:read")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    listed = api.get("/api/me/sessions")
    assert listed.status_code == 200
    assert [entry["browser"] for entry in listed.json()["results"]] == ["Firefox 128.0"]
    assert api.post("/api/me/sessions/end-others").status_code == 403
    assert is_signed_in(here)


def test_the_async_session_api_fills_the_same_columns(user):
    from asgiref.sync import async_to_sync

    from accounts.session_engines import IP_KEY, PUBLIC_ID_KEY, STARTED_KEY, USER_AGENT_KEY
    from accounts.session_engines.db import SessionStore

    store = SessionStore()
    store.update(
        {
            "_auth_user_id": str(user.pk),
            PUBLIC_ID_KEY: "async-id",
            STARTED_KEY: 1_800_000_000,
            IP_KEY: "192.0.2.1",
            USER_AGENT_KEY: FIREFOX_LINUX,
        }
    )

    async_to_sync(store.asave)()

    session = UserSession.objects.get(session_key=store.session_key)
    assert (session.user, session.public_id, session.ip) == (user, "async-id", "192.0.2.1")
    assert session.started.timestamp() == 1_800_000_000
