"""Provider tokens are encrypted at rest with Fernet keys derived from SOCIALACCOUNTS settings."""

import pytest
from django.core import serializers
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction

from socialaccounts.models import SocialAccount
from tests.support.providers import link, raw_extra_data

pytestmark = pytest.mark.django_db


def test_tokens_are_ciphertext_in_the_database(user):
    account = link(user, access_token="provider-access-token", refresh_token="provider-refresh-token")
    stored = raw_extra_data(account)
    assert "provider-access-token" not in stored
    assert "provider-refresh-token" not in stored
    assert SocialAccount.objects.get(pk=account.pk).extra_data["access_token"] == "provider-access-token"


def test_old_key_still_decrypts_after_rotation(user, settings):
    account = link(user, access_token="t")
    old = settings.SOCIALACCOUNTS["TOKEN_ENCRYPTION_KEYS"]
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "TOKEN_ENCRYPTION_KEYS": ["new-" + "n" * 40, *old]}
    assert SocialAccount.objects.get(pk=account.pk).extra_data["access_token"] == "t"


def test_unknown_key_refuses_to_decrypt(user, settings):
    account = link(user, access_token="t")
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "TOKEN_ENCRYPTION_KEYS": ["other-" + "o" * 40]}
    with pytest.raises(ValidationError):
        SocialAccount.objects.get(pk=account.pk)


def test_no_key_configured_refuses_to_store(user, settings):
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "TOKEN_ENCRYPTION_KEYS": []}
    with pytest.raises(ImproperlyConfigured), transaction.atomic():
        link(user, access_token="t")
    assert not SocialAccount.objects.exists()


def test_serialised_accounts_carry_ciphertext_and_load_back(user):
    account = link(user, access_token="provider-access-token")
    dumped = serializers.serialize("json", [account])
    assert "provider-access-token" not in dumped
    (loaded,) = serializers.deserialize("json", dumped)
    assert loaded.object.extra_data["access_token"] == "provider-access-token"
