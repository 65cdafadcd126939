"""Personal access tokens (issue 21): created once on a page or over the API, hashed at rest,
usable as a Bearer token or as the Basic password, held to their scopes, revoked at once."""

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activity.models import Event, Kind
from personaltokens.models import PersonalAccessToken
from personaltokens.services import token_create
from tests.factories import PASSWORD, BeerFactory, UserFactory
from tests.support.http import basic_api, bearer_api

pytestmark = pytest.mark.django_db


def make(user, scopes=("beers:read",), **kwargs):
    kwargs.setdefault("lifetime_days", 30)
    return token_create(user=user, name=kwargs.pop("name", "script"), scopes=list(scopes), **kwargs)


def test_creating_over_the_api_shows_the_token_once_and_stores_only_its_hash(basic_client, user):
    response = basic_client.post(
        "/api/me/tokens", {"name": "backup", "scopes": ["beers:read"], "lifetime_days": 7}, format="json"
    )

    assert response.status_code == 201, response.content
    token = response.json()["token"]
    assert token.startswith("blpat_") and len(token) >= 40
    assert response["Cache-Control"] == "no-store"
    row = PersonalAccessToken.objects.get(user=user)
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(PersonalAccessToken.objects.filter(pk=row.pk).values().get())
    assert abs(row.expires - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    listed = basic_client.get("/api/me/tokens").json()["results"]
    assert [entry["name"] for entry in listed] == ["backup"]
    assert "token" not in listed[0] and listed[0]["hint"] == token[:14] + "…"


def test_the_token_works_as_bearer_and_as_the_basic_password(user):
    BeerFactory(owner=user, name="Orval")
    _, token = make(user)

    assert bearer_api(token).get("/api/beers").json()["results"][0]["name"] == "Orval"
    assert basic_api(user.username, token).get("/api/beers").status_code == 200


def test_a_token_is_held_to_its_scopes(user):
    _, token = make(user, scopes=["beers:read"])

    response = bearer_api(token).post("/api/beers", {"name": "Chimay", "type": "Trappist"}, format="json")

    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert 'scope="beers:write"' in response["WWW-Authenticate"]
    _, writer = make(user, scopes=["beers:read", "beers:write"], name="writer")
    created = bearer_api(writer).post(
        "/api/beers", {"name": "Chimay", "type": "Trappist", "quantity": 1}, format="json"
    )
    assert created.status_code == 201, created.content


def test_a_token_cannot_manage_tokens_or_the_account(user):
    _, token = make(user, scopes=sorted({"beers:read", "profile", "sessions:write"}))

    assert (
        bearer_api(token).post("/api/me/tokens", {"name": "x", "scopes": ["beers:read"]}).status_code == 403
    )
    assert basic_api(user.username, token).get("/api/me/tokens").status_code == 403
    assert bearer_api(token).delete("/api/users/me").status_code == 403
    assert PersonalAccessToken.objects.count() == 1


def test_the_basic_username_must_be_the_tokens_owner(user, other_user):
    _, token = make(user)

    response = basic_api(other_user.username, token).get("/api/beers")

    assert response.status_code == 401
    assert "another account" in response.json()["detail"]


@pytest.mark.parametrize("case", ["revoked", "expired", "inactive user", "unknown", "truncated"])
def test_unusable_tokens_are_a_401_with_the_apis_challenge(user, case):
    row, token = make(user)
    if case == "revoked":
        basic_api(user.username, PASSWORD).delete(f"/api/me/tokens/{row.pk}")
    elif case == "expired":
        PersonalAccessToken.objects.filter(pk=row.pk).update(expires=timezone.now() - timedelta(seconds=1))
    elif case == "inactive user":
        type(user).objects.filter(pk=user.pk).update(is_active=False)
    elif case == "unknown":
        token = "blpat_" + "A" * 43
    else:
        token = token[:-1]

    response = bearer_api(token).get("/api/beers")

    assert response.status_code == 401
    assert response.json()["detail"] == "This personal access token is invalid, expired or revoked."
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_usable_token_costs_one_query_and_last_used_one_write_a_minute(user):
    BeerFactory.create_batch(30, owner=user)
    row, token = make(user)
    api = bearer_api(token)
    api.get("/api/beers")  # the first use writes last_used

    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/beers").status_code == 200

    sql = [query["sql"] for query in queries.captured_queries]
    assert len(sql) == 2, sql  # the token joined with its user, then the page: no last_used write
    assert "personaltokens_personalaccesstoken" in sql[0] and "JOIN" in sql[0]
    row.refresh_from_db()
    assert row.last_used is not None and timezone.now() - row.last_used < timedelta(minutes=1)


def test_bad_requests_are_clear_400s_and_write_nothing(basic_client, user):
    cases = [
        ({"name": "", "scopes": ["beers:read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["openid"]}, "scopes"),
        ({"name": "x", "scopes": ["stats:read"]}, "scopes"),
        ({"name": "x", "scopes": ["beers:read"], "lifetime_days": 10000}, "lifetime_days"),
        ({"name": "x", "scopes": "beers:read"}, "scopes"),
    ]
    for body, field in cases:
        response = basic_client.post("/api/me/tokens", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json(), (body, response.json())
    make(user, name="dup")
    assert basic_client.post(
        "/api/me/tokens", {"name": "dup", "scopes": ["beers:read"]}, format="json"
    ).json() == {"name": ["You already have a token with this name."]}
    assert PersonalAccessToken.objects.count() == 1


def test_another_users_token_is_a_404(basic_client, other_user):
    row, _ = make(other_user)

    assert basic_client.delete(f"/api/me/tokens/{row.pk}").status_code == 404
    assert PersonalAccessToken.objects.filter(pk=row.pk).exists()


def test_creating_is_recorded_and_mailed_and_revoking_recorded(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row, token = make(user, name="backup")
    with django_capture_on_commit_callbacks(execute=True):
        basic_api(user.username, PASSWORD).delete(f"/api/me/tokens/{row.pk}")

    created = Event.objects.get(kind=Kind.PERSONAL_TOKEN_CREATED, user=user)
    assert created.details["name"] == "backup" and created.details["scopes"] == ["beers:read"]
    assert Event.objects.filter(kind=Kind.PERSONAL_TOKEN_REVOKED, user=user).exists()
    assert token not in str(list(Event.objects.values()))
    [message] = mail.outbox
    assert message.to == [user.email] and "personal access token" in message.subject
    assert "backup" in message.body and token not in message.body


def test_the_page_creates_shows_once_and_revokes(signed_in, user):
    page = signed_in.get("/account/tokens/")
    assert page.status_code == 200 and "beers:read" in page.content.decode()

    created = signed_in.post(
        "/account/tokens/", {"name": "ci", "scopes": ["beers:read", "beers:write"], "lifetime_days": 90}
    )

    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    row = PersonalAccessToken.objects.get(user=user)
    token = created.context["token"]
    assert token in created.content.decode() and row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in signed_in.get("/account/tokens/").content.decode()  # once
    revoked = signed_in.post(f"/account/tokens/{row.pk}/revoke/")
    assert revoked.status_code == 302
    assert not PersonalAccessToken.objects.exists()
    assert bearer_api(token).get("/api/beers").status_code == 401


def test_the_page_refuses_a_bad_form_with_a_400(signed_in):
    response = signed_in.post("/account/tokens/", {"name": "", "scopes": ["nope"], "lifetime_days": 3})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "scopes", "lifetime_days"}
    assert not PersonalAccessToken.objects.exists()


def test_the_page_needs_a_sign_in(client):
    assert client.get("/account/tokens/").status_code == 302


def test_an_account_holds_a_bounded_number_of_tokens(user, settings):
    settings.PERSONAL_TOKENS = {"MAX_PER_USER": 2}
    make(user, name="a")
    make(user, name="b")

    response = basic_api(user.username, PASSWORD).post(
        "/api/me/tokens", {"name": "c", "scopes": ["beers:read"]}, format="json"
    )

    assert response.status_code == 400
    assert "revoke one first" in str(response.json())


def test_a_basic_write_with_a_token_must_be_json(user):
    _, token = make(user, scopes=["beers:write", "beers:read"])

    response = basic_api(user.username, token).post("/api/beers", {"name": "x", "type": "y", "quantity": 1})

    assert response.status_code == 415


def test_other_credentials_still_work_beside_tokens(user, access_token):
    assert basic_api(user.username, PASSWORD).get("/api/beers").status_code == 200
    assert bearer_api(access_token("beers:read")).get("/api/beers").status_code == 200
    assert basic_api(user.username, "wrong").get("/api/beers").status_code == 401
    assert UserFactory()  # an unrelated account changes nothing
