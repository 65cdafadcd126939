"""The provider fixtures of tests/socialaccounts (every provider configured, mocked provider HTTP,
a token-exchange client), for the activity tests that link accounts and exchange tokens."""

from tests.socialaccounts.conftest import exchange, exchange_client, mocked, social_settings  # noqa: F401
