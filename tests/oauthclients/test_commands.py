import hashlib
from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import AccessToken

from oauthclients.grants import TOKEN_EXCHANGE
from oauthclients.models import Client
from tests.support.oauth import mint_tokens


def run(*args):
    out = StringIO()
    call_command("createclient", *args, stdout=out)
    return out.getvalue()


def test_createclient_prints_the_id_and_the_secret_once(user):
    output = run(
        user.username,
        "Shell Client",
        "--redirect-uri",
        "https://shell.example.com/cb",
        "--redirect-uri",
        "http://localhost:8080/cb",
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "refresh_token",
        "--scope",
        "beers:read",
    )
    client = Client.objects.get()
    lines = dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)
    assert lines["client_id"] == client.client_id
    assert check_password(lines["client_secret"], client.client_secret)
    assert lines["client_secret"] not in client.client_secret
    assert client.user == user
    assert client.name == "Shell Client"
    assert client.redirect_uris == "https://shell.example.com/cb http://localhost:8080/cb"
    assert client.grant_types == ["authorization_code", "refresh_token"]
    assert client.scope == "beers:read"


def test_createclient_public_client(user):
    output = run(user.username, "App", "--redirect-uri", "com.example.app:/cb", "--auth-method", "none")
    assert "Public client: no secret." in output
    assert "client_secret" not in output
    assert Client.objects.get().client_type == Client.CLIENT_PUBLIC


def test_createclient_app_client_without_redirect(user):
    run(user.username, "Stats", "--grant-type", "client_credentials", "--scope", "stats:read")
    assert Client.objects.get().grant_types == ["client_credentials"]
    assert Client.objects.get().allow_introspection is False


def test_createclient_can_allow_introspection(user):
    run(user.username, "Resource server", "--grant-type", "client_credentials", "--allow-introspection")
    assert Client.objects.get().allow_introspection is True
    assert Client.objects.get().skip_authorization is False


def test_createclient_can_mark_a_first_party_client(user):
    run(user.username, "Our mobile app", "--grant-type", TOKEN_EXCHANGE, "--first-party")
    assert Client.objects.get().skip_authorization is True


def test_createclient_refuses_invalid_metadata_and_writes_nothing(user):
    with pytest.raises(CommandError, match="redirect_uris: 'http://shell.example.com/cb' uses http"):
        run(user.username, "Shell", "--redirect-uri", "http://shell.example.com/cb")
    assert not Client.objects.exists()


def test_createclient_needs_an_existing_owner(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        run("ghost", "Shell", "--redirect-uri", "https://shell.example.com/cb")
    assert not Client.objects.exists()


def test_createclient_registers_logout_uris_through_the_one_validator(user):
    with pytest.raises(CommandError, match="backchannel_logout_uri: .* uses http"):
        run(
            user.username,
            "RP",
            "--redirect-uri",
            "https://rp.example/cb",
            "--backchannel-logout-uri",
            "http://rp.example/bc",
        )
    assert not Client.objects.exists()
    run(
        user.username,
        "RP",
        "--redirect-uri",
        "https://rp.example/cb",
        "--post-logout-redirect-uri",
        "https://rp.example/bye",
        "--backchannel-logout-uri",
        "https://rp.example/bc",
    )
    client = Client.objects.get()
    assert (client.post_logout_redirect_uris, client.backchannel_logout_uri) == (
        "https://rp.example/bye",
        "https://rp.example/bc",
    )


def test_cleartokens_deletes_expired_tokens_in_batches_and_keeps_live_ones(user, settings):
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "CLEAR_EXPIRED_TOKENS_BATCH_SIZE": 2,
        "CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL": 0,
    }
    live = mint_tokens(user, scope="beers:read")["access_token"]
    for _ in range(5):
        mint_tokens(user, scope="beers:read", expires_in=-60)

    with CaptureQueriesContext(connection) as queries:
        call_command("cleartokens", stdout=StringIO())

    assert list(AccessToken.objects.values_list("token_checksum", flat=True)) == [
        hashlib.sha256(live.encode()).hexdigest()
    ]
    deletes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('DELETE FROM "oauth2_provider_accesstoken"')
    ]
    assert len(deletes) == 3  # 2 + 2 + 1: one short statement per batch
