import pytest


@pytest.fixture
def limit(settings):
    """A small failure limit, so a test reaches it in a few requests (the default is 10)."""
    settings.AXES_FAILURE_LIMIT = 3
    return 3
