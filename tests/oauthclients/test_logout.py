"""OpenID Connect logout as the provider: RP-Initiated Logout 1.0 and Back-Channel Logout 1.0."""

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import responses
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from jwcrypto import jwk, jwt
from oauth2_provider.models import get_access_token_model

from accounts.models import UserSession
from oauthclients.models import LogoutDelivery, SessionClient
from oauthclients.oauth2.logout import backchannel
from tests.factories import PASSWORD, UserFactory, make_client
from tests.support.http import basic_auth_header, is_signed_in, signed_in_with_password
from tests.support.oauth import authorize_url, user_tokens

pytestmark = pytest.mark.django_db
ISSUER = "http://testserver/api/oauth2"
LOGOUT = "/api/oauth2/logout"
BACKCHANNEL_URI = "https://rp.example.com/backchannel-logout"
BYE = "https://client.example.com/bye"
EVENT = "http://schemas.openid.net/event/backchannel-logout"


def session_of(browser) -> UserSession:
    return UserSession.objects.get(session_key=browser.session.session_key)


def verified(api_client, token, typ="JWT"):
    keys = jwk.JWKSet.from_json(api_client.get("/api/oauth2/.well-known/jwks.json").content)
    parsed = jwt.JWT(jwt=token, key=keys, algs=["RS256"], check_claims={})
    assert json.loads(parsed.header)["typ"] == typ
    return json.loads(parsed.claims)


@pytest.fixture
def rp(user):
    """A relying party that registered logout URIs; its secret."""
    client, secret = make_client(
        scope="openid profile beers:read",
        post_logout_redirect_uris=BYE,
        backchannel_logout_uri=BACKCHANNEL_URI,
        backchannel_logout_session_required=True,
    )
    return client, secret


@pytest.fixture
def signed_in(user, rp, api_client):
    """A browser signed in as ``user`` that signed in to ``rp``: (browser, id_token)."""
    browser = signed_in_with_password(user)
    client, secret = rp
    tokens = user_tokens(browser, api_client, client, secret, scope="openid profile", nonce="n-1")
    return browser, tokens["id_token"]


# --- Discovery and registration ----------------------------------------------------------------


def test_discovery_advertises_the_logout_endpoints(api_client):
    data = api_client.get("/api/oauth2/.well-known/openid-configuration").json()
    assert data["end_session_endpoint"] == f"{ISSUER}/logout"
    assert data["backchannel_logout_supported"] is True
    assert data["backchannel_logout_session_supported"] is True
    assert "sid" in data["claims_supported"]
    assert "frontchannel_logout_supported" not in data


def test_api_registers_and_changes_the_logout_metadata(basic_client):
    response = basic_client.post(
        "/api/clients",
        {
            "client_name": "RP",
            "redirect_uris": ["https://rp.example.com/cb"],
            "post_logout_redirect_uris": ["https://rp.example.com/bye"],
            "backchannel_logout_uri": BACKCHANNEL_URI,
            "backchannel_logout_session_required": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["post_logout_redirect_uris"] == ["https://rp.example.com/bye"]
    assert body["backchannel_logout_uri"] == BACKCHANNEL_URI
    assert body["backchannel_logout_session_required"] is True

    url = f"/api/clients/{body['client_id']}"
    refused = basic_client.patch(
        url, {"post_logout_redirect_uris": ["https://evil.example/*"]}, format="json"
    )
    assert refused.status_code == 400
    assert "post_logout_redirect_uris" in refused.json()
    assert basic_client.get(url).json()["post_logout_redirect_uris"] == ["https://rp.example.com/bye"]


def test_dcr_registers_the_logout_metadata_and_refuses_a_bad_backchannel_uri(basic_client):
    base = {"client_name": "RP", "redirect_uris": ["https://rp.example.com/cb"]}
    bad = basic_client.post(
        "/api/oauth2/register",
        {**base, "backchannel_logout_uri": "https://rp.example.com/x#frag"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_client_metadata"
    assert "backchannel_logout_uri" in bad.json()["error_description"]

    good = basic_client.post(
        "/api/oauth2/register",
        {
            **base,
            "post_logout_redirect_uris": ["https://rp.example.com/bye"],
            "backchannel_logout_uri": BACKCHANNEL_URI,
        },
        format="json",
    )
    assert good.status_code == 201, good.content
    assert good.json()["post_logout_redirect_uris"] == ["https://rp.example.com/bye"]
    assert good.json()["backchannel_logout_uri"] == BACKCHANNEL_URI


def test_portal_form_saves_the_logout_metadata(user, application):
    browser = BrowserClient()
    browser.force_login(user)
    url = reverse("oauthclients-web:client-update", args=[application.client_id])
    form = browser.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {
        "post_logout_redirect_uris": "https://client.example.com/bye\nhttp://localhost:8000/bye",
        "backchannel_logout_uri": BACKCHANNEL_URI,
        "backchannel_logout_session_required": "on",
    }
    response = browser.post(url, data)
    assert response.status_code == 302, response.content
    application.refresh_from_db()
    assert application.post_logout_redirect_uris == "https://client.example.com/bye http://localhost:8000/bye"
    assert application.backchannel_logout_uri == BACKCHANNEL_URI
    assert application.backchannel_logout_session_required is True
    detail = browser.get(reverse("oauthclients-web:client-detail", args=[application.client_id]))
    assert b"<code>http://localhost:8000/bye</code>" in detail.content
    assert f"<code>{BACKCHANNEL_URI}</code> (sid required)".encode() in detail.content


# --- sid in ID tokens ---------------------------------------------------------------------------


def test_id_token_carries_the_sessions_public_id_never_its_key(signed_in, api_client, rp):
    browser, id_token = signed_in
    claims = verified(api_client, id_token)
    session = session_of(browser)
    assert claims["sid"] == session.public_id
    assert session.session_key not in id_token
    assert SessionClient.objects.filter(sid=session.public_id, client=rp[0]).exists()


def test_a_refreshed_id_token_keeps_the_sid(user, rp, api_client):
    browser = signed_in_with_password(user)
    client, secret = rp
    tokens = user_tokens(browser, api_client, client, secret, scope="openid")
    refreshed = api_client.post(
        "/api/oauth2/token",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=_basic(client.client_id, secret),
    )
    assert refreshed.status_code == 200, refreshed.content
    assert verified(api_client, refreshed.json()["id_token"])["sid"] == session_of(browser).public_id


def _basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


# --- RP-Initiated Logout ------------------------------------------------------------------------


def test_logout_with_this_sessions_id_token_signs_out_and_returns_with_state(signed_in, rp):
    browser, id_token = signed_in
    response = browser.get(
        LOGOUT, {"id_token_hint": id_token, "post_logout_redirect_uri": BYE, "state": "s-1"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{BYE}?state=s-1"
    assert not is_signed_in(browser)


def test_logout_to_an_unregistered_uri_is_refused_and_nobody_is_redirected(signed_in):
    browser, id_token = signed_in
    response = browser.get(
        LOGOUT, {"id_token_hint": id_token, "post_logout_redirect_uri": "https://evil.example.com/"}
    )
    assert response.status_code == 400
    assert "Location" not in response
    assert b"cannot be completed" in response.content
    assert is_signed_in(browser)


def test_a_redirect_without_a_client_is_refused(signed_in):
    browser, _id_token = signed_in
    response = browser.get(LOGOUT, {"post_logout_redirect_uri": BYE})
    assert response.status_code == 400
    assert "Location" not in response
    assert is_signed_in(browser)


def test_an_unknown_client_id_is_a_400_page_not_a_500(signed_in):
    browser, _id_token = signed_in
    response = browser.get(LOGOUT, {"client_id": "nobody", "post_logout_redirect_uri": BYE})
    assert response.status_code == 400
    assert is_signed_in(browser)


def test_a_client_id_that_does_not_match_the_hint_is_refused(signed_in, user):
    browser, id_token = signed_in
    other, _secret = make_client(post_logout_redirect_uris=BYE)
    response = browser.get(LOGOUT, {"id_token_hint": id_token, "client_id": other.client_id})
    assert response.status_code == 400
    assert is_signed_in(browser)


def test_logout_without_a_hint_asks_first_and_signs_out_only_when_confirmed(signed_in, rp):
    browser, _id_token = signed_in
    client, _secret = rp
    page = browser.get(LOGOUT, {"client_id": client.client_id, "post_logout_redirect_uri": BYE, "state": "s"})
    assert page.status_code == 200
    assert b"Sign out of Beer Locker?" in page.content
    assert client.name.encode() in page.content
    assert is_signed_in(browser)

    form = {"client_id": client.client_id, "post_logout_redirect_uri": BYE, "state": "s"}
    stay = browser.post(LOGOUT, form)
    assert stay.status_code == 400  # logout_denied: nothing happens
    assert is_signed_in(browser)

    confirmed = browser.post(LOGOUT, {**form, "allow": "true"})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == f"{BYE}?state=s"
    assert not is_signed_in(browser)


def test_logout_without_a_post_logout_redirect_uri_lands_on_the_signed_out_page(signed_in):
    """On a plain-http origin (the development server) too: DOT's redirect to "/" is refused for
    its scheme, which was a 400 DisallowedRedirect after the user was already signed out."""
    browser, id_token = signed_in
    response = browser.get(LOGOUT, {"id_token_hint": id_token})
    assert response.status_code == 200
    assert b"Signed out" in response.content
    assert not is_signed_in(browser)


def test_confirmed_logout_without_a_post_logout_redirect_uri_lands_on_the_signed_out_page(signed_in, rp):
    browser, _id_token = signed_in
    client, _secret = rp
    page = browser.get(LOGOUT, {"client_id": client.client_id})
    assert page.status_code == 200 and b"Sign out of Beer Locker?" in page.content
    response = browser.post(LOGOUT, {"client_id": client.client_id, "allow": "true"})
    assert response.status_code == 200
    assert b"Signed out" in response.content
    assert not is_signed_in(browser)


def test_logout_without_a_post_logout_redirect_uri_on_https_lands_on_the_signed_out_page(
    user, rp, api_client
):
    browser = signed_in_with_password(user, secure=True)
    response = browser.post(LOGOUT, {"allow": "true"}, secure=True)
    assert response.status_code == 200
    assert "Location" not in response
    assert b"Signed out" in response.content


def test_a_hint_from_another_session_of_the_same_user_asks_first(signed_in, user):
    _browser, id_token = signed_in
    elsewhere = signed_in_with_password(user)
    page = elsewhere.get(LOGOUT, {"id_token_hint": id_token, "post_logout_redirect_uri": BYE})
    assert page.status_code == 200
    assert b"Sign out of Beer Locker?" in page.content
    assert is_signed_in(elsewhere)


def test_logout_leaves_the_apps_tokens_alone(signed_in, rp, api_client):
    browser, id_token = signed_in
    client, _secret = rp
    before = get_access_token_model().objects.filter(application=client).count()
    browser.get(LOGOUT, {"id_token_hint": id_token})
    assert get_access_token_model().objects.filter(application=client).count() == before == 1


# --- Back-Channel Logout ------------------------------------------------------------------------


@responses.activate
def test_signing_out_queues_a_logout_token_without_calling_the_client(signed_in, rp):
    browser, _id_token = signed_in
    sid = session_of(browser).public_id
    browser.post(reverse("logout"))
    assert not is_signed_in(browser)
    assert len(responses.calls) == 0  # nothing left the server during the user's request
    delivery = LogoutDelivery.objects.get()
    assert (delivery.client, delivery.sid, delivery.status) == (rp[0], sid, LogoutDelivery.Status.PENDING)
    assert not SessionClient.objects.filter(sid=sid).exists()


@responses.activate
def test_the_worker_posts_a_signed_logout_token(signed_in, rp, user, api_client):
    browser, _id_token = signed_in
    sid = session_of(browser).public_id
    responses.post(BACKCHANNEL_URI, status=200)
    browser.post(reverse("logout"))

    call_command("logoutworker", "--once")

    assert len(responses.calls) == 1
    request = responses.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    token = parse_qs(request.body)["logout_token"][0]
    claims = verified(api_client, token, typ="logout+jwt")
    assert claims["iss"] == ISSUER
    assert claims["aud"] == rp[0].client_id
    assert claims["sub"] == str(user.pk)
    assert claims["sid"] == sid
    assert claims["events"] == {EVENT: {}}
    assert "nonce" not in claims
    assert claims["jti"]
    assert claims["iat"] <= claims["exp"] <= claims["iat"] + 300
    delivery = LogoutDelivery.objects.get()
    assert delivery.status == LogoutDelivery.Status.DELIVERED
    assert (delivery.attempts, delivery.last_outcome) == (1, "HTTP 200")


@responses.activate
def test_a_failing_client_is_retried_with_backoff_then_given_up(signed_in, rp):
    browser, _id_token = signed_in
    responses.post(BACKCHANNEL_URI, status=503)
    browser.post(reverse("logout"))

    call_command("logoutworker", "--once")
    delivery = LogoutDelivery.objects.get()
    assert delivery.status == LogoutDelivery.Status.PENDING
    assert (delivery.attempts, delivery.last_outcome) == (1, "HTTP 503")
    assert delivery.next_attempt > timezone.now() + timedelta(seconds=25)

    call_command("logoutworker", "--once")  # not due yet: nothing sent
    assert len(responses.calls) == 1

    for _attempt in range(backchannel.MAX_ATTEMPTS - 1):
        LogoutDelivery.objects.update(next_attempt=timezone.now())
        call_command("logoutworker", "--once")
    delivery.refresh_from_db()
    assert delivery.status == LogoutDelivery.Status.FAILED
    assert delivery.attempts == backchannel.MAX_ATTEMPTS
    assert len(responses.calls) == backchannel.MAX_ATTEMPTS


@responses.activate
def test_a_client_that_times_out_is_recorded_and_retried(signed_in, rp):
    browser, _id_token = signed_in
    responses.post(BACKCHANNEL_URI, body=requests.Timeout())
    browser.post(reverse("logout"))
    call_command("logoutworker", "--once")
    delivery = LogoutDelivery.objects.get()
    assert (delivery.status, delivery.last_outcome) == (LogoutDelivery.Status.PENDING, "timeout")


def queued(client, user, *, sid="", status=LogoutDelivery.Status.PENDING, days_old=0):
    """An outbox row as the back-channel logout code writes it; ``days_old`` backdates it."""
    delivery = LogoutDelivery.objects.create(
        client=client, issuer=ISSUER, sub=str(user.pk), sid=sid, status=status, next_attempt=timezone.now()
    )
    LogoutDelivery.objects.filter(pk=delivery.pk).update(created=timezone.now() - timedelta(days=days_old))
    return delivery


def claims_of(parsed_body, api_client):
    return verified(api_client, parse_qs(parsed_body)["logout_token"][0], typ="logout+jwt")


@responses.activate
def test_the_logout_token_carries_the_id_tokens_sid_for_a_client_that_requires_it(signed_in, rp, api_client):
    browser, id_token = signed_in
    assert rp[0].backchannel_logout_session_required
    responses.post(BACKCHANNEL_URI, status=200)
    browser.post(reverse("logout"))

    call_command("logoutworker", "--once")

    sid = verified(api_client, id_token)["sid"]
    assert sid and claims_of(responses.calls[0].request.body, api_client)["sid"] == sid


@responses.activate
def test_a_logout_without_a_sid_is_never_sent_to_a_client_that_requires_one(rp, user):
    delivery = queued(rp[0], user, sid="")

    call_command("logoutworker", "--once")

    assert len(responses.calls) == 0  # a token it must reject (§2.2) would only look like a logout
    delivery.refresh_from_db()
    assert delivery.status == LogoutDelivery.Status.FAILED
    assert delivery.attempts == 0
    assert delivery.last_outcome == "not sent: the client requires a sid and this logout has none"
    LogoutDelivery.objects.update(next_attempt=timezone.now())
    call_command("logoutworker", "--once")
    assert len(responses.calls) == 0


@responses.activate
def test_a_client_that_does_not_require_a_sid_gets_a_logout_token_naming_the_user(user, api_client):
    client, _secret = make_client(scope="openid", backchannel_logout_uri=BACKCHANNEL_URI)
    responses.post(BACKCHANNEL_URI, status=204)
    queued(client, user, sid="")

    call_command("logoutworker", "--once")

    claims = claims_of(responses.calls[0].request.body, api_client)
    assert claims["sub"] == str(user.pk)
    assert "sid" not in claims
    assert LogoutDelivery.objects.get().status == LogoutDelivery.Status.DELIVERED


# --- Pruning the outbox -------------------------------------------------------------------------


def test_pruning_deletes_old_delivered_and_failed_deliveries_only(rp, user, capsys):
    client = rp[0]
    Status = LogoutDelivery.Status
    gone = [
        queued(client, user, status=Status.DELIVERED, days_old=31),
        queued(client, user, status=Status.FAILED, days_old=45),
    ]
    kept = [
        queued(client, user, status=Status.PENDING, days_old=90),  # still to deliver, however old
        queued(client, user, status=Status.DELIVERED, days_old=29),
        queued(client, user, status=Status.FAILED, days_old=1),
    ]

    call_command("prunelogoutdeliveries")

    assert capsys.readouterr().out.strip() == "Deleted 2 logout deliveries."
    assert set(LogoutDelivery.objects.values_list("pk", flat=True)) == {delivery.pk for delivery in kept}
    assert not LogoutDelivery.objects.filter(pk__in=[delivery.pk for delivery in gone]).exists()


def test_pruning_keeps_the_days_the_setting_or_the_option_says(rp, user, settings, capsys):
    delivered = LogoutDelivery.Status.DELIVERED
    week_old = queued(rp[0], user, status=delivered, days_old=7)
    queued(rp[0], user, status=delivered, days_old=12)
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "LOGOUT_DELIVERY_RETENTION_DAYS": 10}

    call_command("prunelogoutdeliveries")
    assert list(LogoutDelivery.objects.values_list("pk", flat=True)) == [week_old.pk]

    call_command("prunelogoutdeliveries", "--days", "3")
    assert not LogoutDelivery.objects.exists()
    assert capsys.readouterr().out.splitlines() == [
        "Deleted 1 logout deliveries.",
        "Deleted 1 logout deliveries.",
    ]


def test_pruning_refuses_negative_days(rp, user):
    queued(rp[0], user, status=LogoutDelivery.Status.DELIVERED, days_old=40)
    with pytest.raises(CommandError, match="--days must not be negative"):
        call_command("prunelogoutdeliveries", "--days", "-1")
    assert LogoutDelivery.objects.count() == 1


def test_pruning_deletes_in_batches(rp, user):
    for _ in range(5):
        queued(rp[0], user, status=LogoutDelivery.Status.FAILED, days_old=40)

    with CaptureQueriesContext(connection) as queries:
        assert backchannel.logout_deliveries_prune(batch_size=2) == 5

    deletes = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 2 + 2 + 1 rows: each statement short, none holding locks for long
    assert not LogoutDelivery.objects.exists()


def test_a_password_change_tells_the_clients_of_the_other_sessions(user, rp, api_client):
    elsewhere = signed_in_with_password(user)
    client, secret = rp
    user_tokens(elsewhere, api_client, client, secret, scope="openid")
    ended_sid = session_of(elsewhere).public_id
    here = signed_in_with_password(user)
    # Consent is remembered now: the authorization endpoint answers at once with a code.
    assert here.get(authorize_url(client, scope="openid")).status_code == 302
    kept_sid = session_of(here).public_id
    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "A-new-pass-9182", "new_password2": "A-new-pass-9182"},
    )
    assert response.status_code == 302, response.content
    assert list(LogoutDelivery.objects.values_list("sid", flat=True)) == [ended_sid]
    assert SessionClient.objects.filter(sid=kept_sid).exists()


def test_a_client_without_a_backchannel_uri_gets_nothing(user, api_client):
    browser = signed_in_with_password(user)
    client, secret = make_client(scope="openid")
    user_tokens(browser, api_client, client, secret, scope="openid")
    browser.post(reverse("logout"))
    assert not LogoutDelivery.objects.exists()
    assert not SessionClient.objects.exists()


def test_the_logout_endpoint_query_never_reaches_another_origin(signed_in):
    # state cannot smuggle a second URL: it is one query parameter of the registered URI.
    browser, id_token = signed_in
    response = browser.get(
        LOGOUT
        + "?"
        + urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": BYE, "state": "x&next=//evil"})
    )
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "client.example.com", "/bye")
    assert parse_qs(location.query) == {"state": ["x&next=//evil"]}


def test_an_administrator_deactivating_the_account_tells_its_clients(signed_in, rp, user, admin_client):
    browser, _id_token = signed_in
    sid = session_of(browser).public_id
    url = reverse("admin:auth_user_change", args=[user.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in ("username", "email", "first_name", "last_name")}
    data |= {"date_joined_0": "2026-01-01", "date_joined_1": "10:00:00"}
    # is_active unticked: a checkbox that is off is absent from the POST.
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert not user.is_active
    assert not is_signed_in(browser)
    assert list(LogoutDelivery.objects.values_list("client", "sid")) == [(rp[0].pk, sid)]


def test_admin_edits_the_logout_metadata_through_the_one_validator(admin_client, application):
    url = reverse("admin:oauthclients_client_change", args=[application.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    refused = admin_client.post(url, {**data, "backchannel_logout_uri": "http://intranet.example/logout"})
    assert refused.status_code == 200
    assert "uses http" in str(refused.context["adminform"].form.errors["backchannel_logout_uri"])
    application.refresh_from_db()
    assert application.backchannel_logout_uri == ""

    saved = admin_client.post(
        url,
        {
            **data,
            "post_logout_redirect_uris": "https://client.example.com/bye",
            "backchannel_logout_uri": BACKCHANNEL_URI,
        },
    )
    assert saved.status_code == 302
    application.refresh_from_db()
    assert application.post_logout_redirect_uris == "https://client.example.com/bye"
    assert application.backchannel_logout_uri == BACKCHANNEL_URI


def test_admin_lists_deliveries_read_only(admin_client, signed_in):
    browser, _id_token = signed_in
    browser.post(reverse("logout"))
    page = admin_client.get(reverse("admin:oauthclients_logoutdelivery_changelist"))
    assert page.status_code == 200
    assert b"Pending" in page.content
    assert admin_client.get(reverse("admin:oauthclients_logoutdelivery_add")).status_code == 403


def test_discovery_says_no_back_channel_logout_when_no_session_end_is_heard_of(api_client, settings):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ADAPTER": "oauthclients.adapter.OAuthClientsAdapter"}
    data = api_client.get("/api/oauth2/.well-known/openid-configuration").json()
    assert data["backchannel_logout_supported"] is False
    assert data["backchannel_logout_session_supported"] is False


# --- Issue 19 §3: every way a session stops being valid tells its clients ------------------------


def test_deleting_the_account_tells_the_clients_of_its_sessions(signed_in, rp, user, api_client):
    browser, _id_token = signed_in
    sid = session_of(browser).public_id
    elsewhere = signed_in_with_password(user)  # a second session, which reached no client

    response = api_client.delete(
        "/api/users/me", HTTP_AUTHORIZATION=basic_auth_header(user.username, PASSWORD)
    )

    assert response.status_code == 204, response.content
    assert not type(user).objects.filter(pk=user.pk).exists()
    assert list(LogoutDelivery.objects.values_list("client", "sub", "sid")) == [(rp[0].pk, str(user.pk), sid)]
    assert not UserSession.objects.exists()
    assert not is_signed_in(browser) and not is_signed_in(elsewhere)


def test_a_refused_account_deletion_tells_no_client(signed_in, user, api_client):
    browser, _id_token = signed_in

    response = api_client.delete(
        "/api/users/me", HTTP_AUTHORIZATION=basic_auth_header(user.username, "wrong")
    )

    assert response.status_code == 401
    assert type(user).objects.filter(pk=user.pk).exists()
    assert not LogoutDelivery.objects.exists()
    assert is_signed_in(browser)


def test_signing_in_as_another_user_in_the_same_browser_ends_the_old_session(signed_in, rp, user):
    browser, _id_token = signed_in
    old = session_of(browser)
    someone_else = UserFactory()

    response = browser.post(reverse("login"), {"username": someone_else.username, "password": PASSWORD})

    assert response.status_code == 302
    assert list(LogoutDelivery.objects.values_list("client", "sub", "sid")) == [
        (rp[0].pk, str(user.pk), old.public_id)
    ]
    assert not UserSession.objects.filter(pk=old.pk).exists()
    assert session_of(browser).user_id == someone_else.pk
    assert session_of(browser).public_id != old.public_id


def test_signing_in_again_as_the_same_user_keeps_the_session_and_tells_no_client(signed_in, user):
    browser, _id_token = signed_in
    sid = session_of(browser).public_id

    response = browser.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    assert response.status_code == 302
    assert session_of(browser).public_id == sid
    assert not LogoutDelivery.objects.exists()
    assert SessionClient.objects.filter(sid=sid).exists()


def test_clearing_an_expired_session_tells_its_clients(signed_in, rp, user):
    browser, _id_token = signed_in
    session = session_of(browser)
    live = signed_in_with_password(user)
    UserSession.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))

    call_command("clearsessions")

    assert list(LogoutDelivery.objects.values_list("client", "sid")) == [(rp[0].pk, session.public_id)]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live.session.session_key]
