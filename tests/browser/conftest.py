"""Playwright driving Debian's Chromium against pytest-django's live server (``make test-browser``)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import PHONE

# The live server runs in a thread while Playwright's sync API holds an event loop in this one;
# Django's async-safety guard would refuse every ORM call made from the test body.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session (Playwright's Browser); each test opens its own context."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"No Chromium at {CHROMIUM}: apt-get install -y chromium (never `playwright install`).")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser tab (own cookies) whose relative URLs go to the live server."""
    context = chromium.new_context(
        base_url=live_server.url, permissions=["clipboard-read", "clipboard-write"]
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_page(chromium, live_server):
    """Like ``page``, at a phone's width."""
    context = chromium.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
