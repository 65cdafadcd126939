"""Home, sign-up, sign-in, sign-out and passwords, through Django's test client."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from rest_framework.throttling import ScopedRateThrottle

from accounts.pages import SignUpThrottle
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "a brand new passphrase"


def signup_data(**overrides):
    data = {"username": "alice", "email": "alice@example.com", "password1": PASSWORD, "password2": PASSWORD}
    return data | overrides


def test_home_links_to_sign_up_sign_in_docs_and_browsable_api(client):
    response = client.get("/")

    assert response.status_code == 200
    body = response.content.decode()
    for path in ("/accounts/signup/", "/accounts/login/", "/api/docs", "/api"):
        assert f'href="{path}"' in body
    assert "OAuth 2.0" in body


def test_home_signed_in_links_to_the_account_pages(client, user):
    client.force_login(user)

    body = client.get("/").content.decode()

    assert 'href="/account/beers/"' in body
    assert 'href="/account/apps/"' in body
    assert 'href="/account/developer/"' in body
    assert 'href="/account/connections"' in body
    assert user.username in body


def test_pages_have_a_phone_viewport_our_stylesheet_and_labelled_fields(client):
    body = client.get("/accounts/signup/").content.decode()

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert "/static/css/beerlocker.css" in body
    for field in ("username", "email", "password1", "password2"):
        assert f'<label for="id_{field}">' in body
    assert "csrfmiddlewaretoken" in body


def test_sign_up_creates_the_account_signs_in_and_goes_home(client):
    response = client.post("/accounts/signup/", signup_data())

    assert response.status_code == 302
    assert response.url == "/"
    user = User.objects.get(username="alice")
    assert user.email == "alice@example.com"
    assert user.check_password(PASSWORD)
    assert int(client.session["_auth_user_id"]) == user.pk


def test_sign_up_follows_a_next_on_our_own_host(client):
    response = client.post("/accounts/signup/?next=/account/beers/", signup_data())

    assert response.status_code == 302
    assert response.url == "/account/beers/"


@pytest.mark.parametrize(
    "evil", ["https://evil.example/", "//evil.example/", "https:///evil.example", "javascript:alert(1)"]
)
def test_sign_up_ignores_a_next_to_another_host(client, evil):
    page = client.get("/accounts/signup/", {"next": evil}).content.decode()
    response = client.post("/accounts/signup/", signup_data() | {"next": evil})

    assert "evil" not in page and "javascript" not in page
    assert response.status_code == 302
    assert response.url == "/"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (signup_data(password2="something else"), "password2", "The two passwords do not match."),
        (signup_data(password1="123", password2="123"), "password1", "This password is too short."),
        (signup_data(password1="alice@example.com", password2="alice@example.com"), "password1", "similar"),
        (signup_data(username="bad name!"), "username", "Enter a valid username"),
        (signup_data(email="not-an-email"), "email", "Enter a valid email address."),
        (signup_data(username=""), "username", "This field is required."),
    ],
)
def test_sign_up_with_bad_input_shows_the_error_and_writes_nothing(client, data, field, message):
    response = client.post("/accounts/signup/", data)

    assert response.status_code == 200
    assert message in " ".join(str(error) for error in response.context["form"].errors[field])
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_sign_up_with_a_taken_username_is_refused(client, user):
    response = client.post("/accounts/signup/", signup_data(username=user.username))

    assert response.status_code == 200
    assert "A user with that username already exists." in response.context["form"].errors["username"]
    assert User.objects.count() == 1


def test_sign_up_without_a_csrf_token_is_a_403_and_writes_nothing():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/signup/", signup_data())

    assert response.status_code == 403
    assert not User.objects.exists()


def test_sign_in_then_a_safe_next(client, user):
    credentials = {"username": user.username, "password": PASSWORD}

    response = client.post("/accounts/login/?next=/account/beers/", credentials)

    assert response.status_code == 302
    assert response.url == "/account/beers/"


def test_sign_in_never_redirects_off_site(client, user):
    page = client.get("/accounts/login/", {"next": "https://evil.example/"}).content.decode()
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert "evil.example" not in page
    assert response.status_code == 302
    assert response.url == "/"


def test_sign_in_with_a_wrong_password_stays_signed_out(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_is_post_only(client, user):
    client.force_login(user)

    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response.url == "/"
    assert "_auth_user_id" not in client.session


def test_password_change_needs_the_old_password(client, user):
    client.force_login(user)

    refused = client.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    user.refresh_from_db()
    assert refused.status_code == 200
    assert user.check_password(PASSWORD)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    user.refresh_from_db()
    assert response.status_code == 302
    assert response.url == "/accounts/password_change/done/"
    assert user.check_password(NEW_PASSWORD)
    assert "Password changed" in client.get(response.url).content.decode()


def test_password_change_needs_sign_in(client):
    response = client.get("/accounts/password_change/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/accounts/password_change/"


def test_password_reset_by_e_mail_sets_a_new_password(client, user):
    response = client.post("/accounts/password_reset/", {"email": user.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert mail.outbox[0].subject == "Reset your Beer Locker password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    form_url = client.get(link).url  # Django swaps the token for a session-bound URL
    page = client.get(form_url)
    assert "Choose a new password" in page.content.decode()
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    user.refresh_from_db()
    assert done.status_code == 302
    assert user.check_password(NEW_PASSWORD)
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client):
    UserFactory(email="someone@example.com")

    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"}, follow=True)

    assert response.status_code == 200
    assert "If an account has that address" in response.content.decode()
    assert mail.outbox == []


def _social_only(**fields):
    """A user who signed up through a provider: no usable password."""
    user = UserFactory(**fields)
    user.set_unusable_password()
    user.save()
    return user


def test_a_user_without_a_password_gets_a_reset_e_mail_that_sets_the_first_one(client):
    user = _social_only(email="sol@example.com")

    client.post("/accounts/password_reset/", {"email": "SOL@example.com"})

    assert len(mail.outbox) == 1
    assert "you have none yet" in mail.outbox[0].body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_inactive_user_gets_no_reset_e_mail(client):
    _social_only(email="gone@example.com", is_active=False)

    client.post("/accounts/password_reset/", {"email": "gone@example.com"})

    assert mail.outbox == []


def test_a_user_without_a_password_sets_one_without_an_old_one_and_stays_signed_in(client):
    user = _social_only()
    client.force_login(user)
    change = client.get("/accounts/password_change/").content.decode()
    assert 'href="/accounts/password_set/"' in change
    assert "Set a password" in client.get("/").content.decode()  # the header's link

    response = client.post(
        "/accounts/password_set/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    user.refresh_from_db()
    assert response.status_code == 302
    assert user.check_password(NEW_PASSWORD)
    assert client.get("/account/beers/").status_code == 200


def test_set_password_refuses_a_weak_one_and_writes_nothing(client):
    user = _social_only()
    client.force_login(user)

    response = client.post("/accounts/password_set/", {"new_password1": "123", "new_password2": "123"})

    user.refresh_from_db()
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert not user.has_usable_password()


def test_set_password_sends_a_user_with_a_password_to_change_it(client, user):
    client.force_login(user)

    response = client.get("/accounts/password_set/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/"


def test_sign_up_shares_the_apis_rate_limit_and_writes_nothing_past_it(client, api_client, monkeypatch):
    monkeypatch.setattr(SignUpThrottle, "THROTTLE_RATES", {"signup": "2/hour"})
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"signup": "2/hour"})

    assert client.post("/accounts/signup/", signup_data(username="first")).status_code == 302
    api = api_client.post("/api/users", {"username": "second", "password": PASSWORD}, format="json")
    assert api.status_code == 201
    response = Client().post("/accounts/signup/", signup_data(username="third"))

    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()
    assert sorted(User.objects.values_list("username", flat=True)) == ["first", "second"]


def test_the_top_bar_groups_the_account_pages_in_a_disclosure_menu(client, user):
    client.force_login(user)

    body = client.get("/").content.decode()

    header = body[body.index('<header class="site-header">') : body.index("</header>")]
    menu = header[header.index('<details class="account-menu">') : header.index("</details>")]
    outside = header.replace(menu, "")
    assert f'<summary>Account <span class="who">(signed in as <strong>{user.username}</strong>)' in menu
    account_pages = (
        "/account/connections",
        "/account/sessions/",
        "/account/activity/",
        "/accounts/password_change/",
    )
    for path in account_pages:
        assert f'href="{path}"' in menu, path
        assert f'href="{path}"' not in outside, path
    # What stays in the bar: the brand, four destinations, the menu and Sign out.
    assert outside.count("<a ") == 5
    assert ">Sign out</button>" in outside
    assert "<script" not in header
