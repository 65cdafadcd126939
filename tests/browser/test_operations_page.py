"""The admin's operations page in Chromium: the charts draw, under the site's CSP, at desktop width."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activity.models import LOCKOUT_LIMIT, Event, Kind
from tests.factories import PASSWORD, UserFactory
from tests.support.browser import fits_the_screen, screenshot
from tests.support.oauth import mint_tokens

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def seed_a_month():
    now = timezone.now()
    events = []
    for hours in range(0, 24 * 30, 3):
        when = now - timedelta(hours=hours)
        events += [Event(kind=Kind.SIGN_IN, created=when, details={"method": "password"})] * (1 + hours % 5)
        if hours % 2 == 0:
            events.append(Event(kind=Kind.SIGN_IN_FAILED, created=when, details={"method": "password"}))
        if hours % 47 == 0:
            events.append(Event(kind=Kind.RATE_LIMITED, created=when, details={"limit": LOCKOUT_LIMIT}))
    Event.objects.bulk_create([Event(kind=e.kind, created=e.created, details=e.details) for e in events])


def test_staff_see_the_operations_charts_under_the_csp(page):
    staff = UserFactory(is_staff=True, is_superuser=True)
    seed_a_month()
    for _ in range(3):
        mint_tokens(staff)
    violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message.text),
    )

    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("link", name="Sign-ins, failures, lockouts and tokens issued").click()

    expect(page.get_by_role("heading", name="Last 24 hours")).to_be_visible()
    expect(page.get_by_role("img", name="Access tokens issued: 3")).to_have_count(2)
    # The stylesheet applied: the bars have the series' colour, not SVG's default black.
    fill = page.locator(".ops-sign_ins .ops-bar").first.evaluate("bar => getComputedStyle(bar).fill")
    assert fill == "rgb(43, 122, 61)"
    assert fits_the_screen(page)
    screenshot(page, "admin-operations")
    assert violations == []
