"""A project's SocialAccountsAdapter subclass (``SOCIALACCOUNTS["ADAPTER"]``): a provider's logout
token reaches its ``end_sessions``; the base class ends nothing; the old settings key is refused."""

import pytest
from django.core.cache import cache

from socialaccounts.adapter import SocialAccountsAdapter
from socialaccounts.apps import adapter_check
from socialaccounts.backchannel import SESSION_KEY
from socialaccounts.models import ProviderSession
from tests.support.http import is_signed_in
from tests.support.providers import OIDC_ISSUER, logout_token, provider_browser

pytestmark = pytest.mark.django_db
URL = "/social/backchannel-logout/oidc/"
calls = []


class RecordingAdapter(SocialAccountsAdapter):
    """Ends nothing; records whom it was asked about and which session data ``where`` accepts."""

    def end_sessions(self, *, user_id, where):
        ours = {SESSION_KEY: {"iss": OIDC_ISSUER, "sub": "o-1", "sid": "op-sid-1"}}
        other = {SESSION_KEY: {"iss": OIDC_ISSUER, "sub": "o-1", "sid": "op-sid-2"}}
        calls.append((user_id, where(ours), where(other), where({})))
        return 0


@pytest.fixture(autouse=True)
def fresh():
    cache.clear()
    calls.clear()


def test_a_logout_token_asks_the_adapter_to_end_that_provider_sessions_sessions(
    oidc, api_client, user, settings
):
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "ADAPTER": f"{__name__}.RecordingAdapter"}
    browser = provider_browser(user, sid="op-sid-1")

    response = api_client.post(URL, {"logout_token": logout_token(oidc)})

    assert response.status_code == 200
    assert calls == [(user.pk, True, False, False)]
    assert is_signed_in(browser)  # the adapter ended nothing: nothing else did either
    assert not ProviderSession.objects.exists()


def test_the_base_adapter_accepts_the_token_and_ends_no_session(oidc, api_client, user, settings):
    settings.SOCIALACCOUNTS = {
        **settings.SOCIALACCOUNTS,
        "ADAPTER": "socialaccounts.adapter.SocialAccountsAdapter",
    }
    browser = provider_browser(user)

    response = api_client.post(URL, {"logout_token": logout_token(oidc)})

    assert response.status_code == 200
    assert is_signed_in(browser)
    assert not ProviderSession.objects.exists()


def test_the_replaced_settings_key_and_a_bad_adapter_are_reported(settings):
    assert adapter_check(None) == []

    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "END_SESSIONS": "beerlocker.adapters.end"}
    errors = adapter_check(None)
    assert [(error.id, error.msg) for error in errors] == [
        ("socialaccounts.W001", 'SOCIALACCOUNTS["END_SESSIONS"] is no longer read.')
    ]
    assert "end_sessions(*, user_id, where)" in errors[0].hint

    for path in ("nowhere.Adapter", f"{__name__}.URL"):
        settings.SOCIALACCOUNTS = {"ADAPTER": path}
        assert [error.id for error in adapter_check(None)] == ["socialaccounts.E001"], path
