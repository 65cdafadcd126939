"""Helpers for the Playwright browser journeys (tests/browser)."""

import re
from pathlib import Path

PHONE = {"width": 375, "height": 740}  # a phone's viewport, CSS pixels
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def screenshot(page, name):
    """Saves the whole page under test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    filename = re.sub(r"[^a-z0-9-]+", "-", name.lower()) + ".png"
    page.screenshot(path=str(SCREENSHOTS / filename), full_page=True)


def fits_the_screen(page):
    """True when nothing makes the page scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def open_account_page(page, name):
    """Open the top bar's Account menu (a <details>) and follow its link ``name``."""
    page.locator(".account-menu summary").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
