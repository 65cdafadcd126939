"""The admin's operations page: staff only, SVG bars drawn from the activity log and the token table
in a fixed number of queries, and no inline style or script for the CSP to refuse."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from activity.models import LOCKOUT_LIMIT, Event, Kind
from tests.factories import UserFactory
from tests.support.http import signed_in_as
from tests.support.oauth import AccessToken, mint_tokens

pytestmark = pytest.mark.django_db

PAGE = "/admin/operations/"


@pytest.fixture
def staff():
    return signed_in_as(UserFactory(is_staff=True, is_superuser=True))


def seed(kind, *, hours_ago, count=1, **details):
    when = timezone.now() - timedelta(hours=hours_ago)
    Event.objects.bulk_create([Event(kind=kind, created=when, details=details) for _ in range(count)])


def bars(html: str, window: int, series: str) -> list[int]:
    """The values of one chart's bars, oldest first."""
    figure = re.search(
        rf'<figure class="ops-chart" data-series="{series}">.*?</figure>',
        html.split(f'id="ops-window-{window}"', 1)[1],
        re.S,
    ).group(0)
    return [int(value) for value in re.findall(r'data-value="(\d+)"', figure)]


def test_staff_see_bars_that_follow_the_seeded_events(staff, user, django_assert_max_num_queries):
    seed(Kind.SIGN_IN, hours_ago=0, count=3, method="password")
    seed(Kind.SIGN_IN, hours_ago=5, count=2, method="provider")
    seed(Kind.SIGN_IN_FAILED, hours_ago=0, count=4, method="password")
    seed(Kind.RATE_LIMITED, hours_ago=2, count=1, limit=LOCKOUT_LIMIT)
    seed(Kind.RATE_LIMITED, hours_ago=2, count=5, limit="signup")  # a throttle, no lockout
    seed(Kind.SIGN_IN, hours_ago=24 * 10, count=7, method="password")  # in the month, not the day
    seed(Kind.SIGN_IN, hours_ago=24 * 40, count=9, method="password")  # in neither
    for _ in range(2):
        mint_tokens(user)
    AccessToken.objects.filter(pk=AccessToken.objects.first().pk).update(
        created=timezone.now() - timedelta(days=3)
    )

    with django_assert_max_num_queries(8):  # session, user, and the 4 GROUP BYs
        response = staff.get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="ops-svg') == 8
    hourly = {series: bars(html, 1, series) for series in ("sign_ins", "failures", "lockouts", "tokens")}
    assert len(hourly["sign_ins"]) == 24
    # The staff member's own sign-in (the fixture) is one of this hour's.
    assert hourly["sign_ins"][-1] == 3 + 1 and hourly["sign_ins"][-6] == 2 and sum(hourly["sign_ins"]) == 6
    assert hourly["failures"][-1] == 4 and sum(hourly["failures"]) == 4
    assert hourly["lockouts"][-3] == 1 and sum(hourly["lockouts"]) == 1
    assert sum(hourly["tokens"]) == 1
    daily = {series: bars(html, 2, series) for series in ("sign_ins", "tokens")}
    assert len(daily["sign_ins"]) == 30
    assert daily["sign_ins"][-11] == 7 and sum(daily["sign_ins"]) == 13
    assert sum(daily["tokens"]) == 2 and daily["tokens"][-4] == 1
    # The tallest bar fills the chart; an empty hour has none.
    assert 'y="14.0" width="28.0" height="120.0" data-value="4"' in html
    assert 'height="0.0" data-value="0"' in html
    # The CSP: no inline style or script of ours; the bars' colours come from the page's stylesheet.
    assert "<script" not in html.split('id="content-main"', 1)[1]
    assert " style=" not in html.split('id="content-main"', 1)[1]
    assert "/static/ops/operations.css" in html


def test_the_query_count_does_not_grow_with_the_events(staff, django_assert_max_num_queries):
    for hours in range(0, 24 * 30, 7):
        seed(Kind.SIGN_IN, hours_ago=hours, count=2, method="password")
        seed(Kind.SIGN_IN_FAILED, hours_ago=hours, method="password")

    with django_assert_max_num_queries(8):
        assert staff.get(PAGE).status_code == 200


def test_the_admin_index_links_to_it(staff):
    response = staff.get("/admin/")
    assert response.status_code == 200
    assert f'href="{PAGE}"' in response.content.decode()


def test_anonymous_users_are_sent_to_sign_in():
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_signed_in_user_who_is_not_staff_does_not_see_it(signed_in):
    response = signed_in.get(PAGE)
    assert response.status_code == 302
    assert "Sign-ins" not in response.content.decode()
