import pytest
from django.test import Client as BrowserClient


@pytest.fixture
def browser(user):
    """A web browser with ``user`` signed in (session cookie)."""
    browser = BrowserClient()
    browser.force_login(user)
    return browser
