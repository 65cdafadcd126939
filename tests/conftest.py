"""Fixtures every test may ask for, one meaning per name. Helpers live in tests/support/."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import PASSWORD, ClientFactory, UserFactory
from tests.support.http import basic_api, bearer_api, signed_in_as
from tests.support.oauth import DEFAULT_SCOPE, mint_tokens

_THE_USER = object()  # access_token()'s default: the ``user`` fixture, made only when asked for


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters live in the cache; every test starts with none.
    cache.clear()


@pytest.fixture
def user(db):
    """A signed-up user whose password is ``tests.factories.PASSWORD``."""
    return UserFactory()


@pytest.fixture
def other_user(db):
    """A second user, whose things ``user`` must never see."""
    return UserFactory()


@pytest.fixture
def api_client():
    """A DRF API client with no credentials."""
    return APIClient()


@pytest.fixture
def basic_client(user):
    """An API client signed in as ``user`` with HTTP Basic."""
    return basic_api(user.username, PASSWORD)


@pytest.fixture
def signed_in(user):
    """A web browser (Django's test client) with ``user`` signed in by session cookie."""
    return signed_in_as(user)


@pytest.fixture
def application(user):
    """A confidential client ``user`` registered (code + refresh grants); raw secret on ``.raw_secret``."""
    return ClientFactory(user=user)


@pytest.fixture
def access_token(db, request):
    """Mints a bearer token the way the token endpoint does; returns the raw token string.

    ``access_token(scope=..., user=..., application=..., expires_in=...)``: for the ``user``
    fixture and a new client unless told otherwise; a negative ``expires_in`` gives an expired token."""

    def mint(scope=DEFAULT_SCOPE, *, user=_THE_USER, application=None, expires_in=3600):
        owner = request.getfixturevalue("user") if user is _THE_USER else user  # None: the client's own
        return mint_tokens(owner, scope=scope, application=application, expires_in=expires_in)["access_token"]

    return mint


@pytest.fixture
def bearer_client(access_token):
    """Returns an API client holding a bearer token for ``user`` with the given scope."""

    def make(scope=DEFAULT_SCOPE):
        return bearer_api(access_token(scope))

    return make


SPEED_LAYERS = ["fast", "public"]


def pytest_collection_modifyitems(items):
    # A test served by a live server is slow wherever it is written (make test-fast skips ``slow``);
    # subprocess tests carry the marker themselves.
    for item in items:
        if "live_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def pytest_generate_tests(metafunc):
    # A module that asks for ``speed_layers`` runs each test twice, except a test marked
    # ``fast_paths``, which measures the speed layers themselves (query counts) and runs with them on.
    if "speed_layers" in metafunc.fixturenames and not metafunc.definition.get_closest_marker("fast_paths"):
        metafunc.parametrize("speed_layers", SPEED_LAYERS, indirect=True)


@pytest.fixture
def speed_layers(request, settings):
    """``"fast"``: the speed-only layers on, as shipped; ``"public"``: off (``OAUTHCLIENTS["FAST_PATHS"]``
    and ``BEERLOCKER_API["COMPILED_LOOKUPS"]`` False), DOT's and the ORM's public paths instead."""
    mode = getattr(request, "param", "fast")
    on = mode == "fast"
    settings.OAUTHCLIENTS = {**getattr(settings, "OAUTHCLIENTS", {}), "FAST_PATHS": on}
    settings.BEERLOCKER_API = {**getattr(settings, "BEERLOCKER_API", {}), "COMPILED_LOOKUPS": on}
    return mode
