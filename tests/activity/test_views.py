"""The activity page, GET /api/me/activity, the admin and the pruning command."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from activity.models import Event, Kind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def event(user, kind=Kind.SIGN_IN, days_ago=0, **details):
    return Event.objects.create(
        user=user,
        kind=kind,
        ip="203.0.113.7",
        created=timezone.now() - timedelta(days=days_ago),
        details=details or {"method": "password"},
    )


# --- the page --------------------------------------------------------------------------------


def test_page_shows_my_events_newest_first_and_not_anyone_elses(client, user, other_user):
    event(user, Kind.CLIENT_REGISTERED, days_ago=2, client_id="abc", client="Old App")
    event(user, Kind.PROVIDER_LINKED, days_ago=1, provider="github")
    event(other_user, Kind.CLIENT_DELETED, client_id="zzz", client="Their App")
    client.force_login(user)

    response = client.get(reverse("activity:list"))

    assert response.status_code == 200
    body = response.content.decode()
    # The force_login sign-in itself is the newest event.
    assert body.index("Signed in") < body.index("Sign-in account connected: github")
    assert body.index("Sign-in account connected: github") < body.index("Application registered: Old App")
    assert "Their App" not in body


def test_page_needs_a_signed_in_user(client):
    response = client.get(reverse("activity:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_page_is_paginated(client, user):
    for day in range(60):
        event(user, days_ago=day + 1)
    client.force_login(user)

    first = client.get(reverse("activity:list")).content.decode()
    second = client.get(reverse("activity:list") + "?page=2").content.decode()

    assert first.count("<tr>") == 51  # the header row and 50 events
    assert second.count("<tr>") == 1 + 61 - 50
    assert "Older" in first and "Newer" in second


# --- the API ------------------------------------------------------------------------------------


def test_api_lists_my_events_newest_first(basic_client, user, other_user, django_assert_num_queries):
    for day in range(5):
        event(user, Kind.SESSION_ENDED, days_ago=day + 1, session=f"s{day}", reason="user")
    event(other_user, Kind.SIGN_IN)

    # Basic authentication (user, then whether they have a second factor) + the count + the page,
    # whatever the number of events.
    with django_assert_num_queries(4):
        response = basic_client.get("/api/me/activity?page_size=3")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert [entry["details"]["session"] for entry in body["results"]] == ["s0", "s1", "s2"]
    assert body["results"][0] | {"id": 0, "time": ""} == {
        "id": 0,
        "kind": "session_ended",
        "description": "Session ended",
        "time": "",
        "address": "203.0.113.7",
        "user_agent": "",
        "details": {"session": "s0", "reason": "user"},
    }
    assert body["next"].endswith("page=2&page_size=3")


def test_api_accepts_a_token_with_activity_read(user, bearer_client):
    event(user)

    response = bearer_client("activity:read").get("/api/me/activity")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_api_refuses_a_token_without_activity_read(bearer_client):
    response = bearer_client("beers:read sessions:read").get("/api/me/activity")

    assert response.status_code == 403
    assert 'scope="activity:read"' in response["WWW-Authenticate"]


def test_api_needs_credentials(api_client):
    response = api_client.get("/api/me/activity")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_api_is_read_only(basic_client):
    response = basic_client.post("/api/me/activity", {}, format="json")

    assert response.status_code == 405
    assert not Event.objects.exists()


# --- the admin ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_lists_every_event_and_filters_by_kind_user_and_date(admin_client, user, other_user):
    event(user, Kind.CLIENT_REGISTERED, client_id="mine-1", client="Mine")
    event(other_user, Kind.CLIENT_REGISTERED, client_id="theirs-1", client="Theirs")
    event(user, Kind.PROVIDER_UNLINKED, days_ago=40, provider="gitlab")
    url = reverse("admin:activity_event_changelist")

    everything = admin_client.get(url).content.decode()
    by_kind = admin_client.get(url, {"kind__exact": "client_registered"}).content.decode()
    by_user = admin_client.get(url, {"user__id__exact": user.pk}).content.decode()
    today = timezone.now()
    by_day = admin_client.get(
        url, {"created__year": today.year, "created__month": today.month, "created__day": today.day}
    ).content.decode()

    assert "mine-1" in everything and "theirs-1" in everything and "gitlab" in everything
    assert "mine-1" in by_kind and "theirs-1" in by_kind and "gitlab" not in by_kind
    assert "mine-1" in by_user and "theirs-1" not in by_user and "gitlab" in by_user
    assert "gitlab" not in by_day and "mine-1" in by_day


def test_admin_cannot_add_change_or_delete_events(admin_client, user):
    recorded = event(user)

    assert admin_client.get(reverse("admin:activity_event_add")).status_code == 403
    response = admin_client.post(reverse("admin:activity_event_delete", args=[recorded.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Event.objects.filter(pk=recorded.pk).exists()


# --- pruning ------------------------------------------------------------------------------------


def test_prune_deletes_events_past_the_retention_setting(user, settings):
    settings.ACTIVITY = {"RETENTION_DAYS": 30}
    kept = event(user, days_ago=29)
    event(user, days_ago=31)
    event(user, days_ago=400)
    out = io.StringIO()

    call_command("pruneactivity", stdout=out)

    assert out.getvalue() == "Deleted 2 activity events.\n"
    assert list(Event.objects.all()) == [kept]


def test_prune_takes_days_on_the_command_line(user):
    event(user, days_ago=3)
    kept = event(user, days_ago=1)

    call_command("pruneactivity", "--days", "2", stdout=io.StringIO())

    assert list(Event.objects.all()) == [kept]


def test_prune_defaults_to_180_days(user, settings):
    del settings.ACTIVITY
    kept = event(user, days_ago=179)
    event(user, days_ago=181)

    call_command("pruneactivity", stdout=io.StringIO())

    assert list(Event.objects.all()) == [kept]


def test_prune_refuses_negative_days(user):
    event(user, days_ago=1)

    with pytest.raises(CommandError, match="--days must not be negative"):
        call_command("pruneactivity", "--days", "-1", stdout=io.StringIO())

    assert Event.objects.count() == 1
