"""Hardening: nothing secret at rest, RFC 6749 errors for garbage, fast secret hashing, deploy checks."""

import base64
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.db import connection
from oauth2_provider.models import get_access_token_model

from oauthclients.grants import CLIENT_CREDENTIALS, PASSWORD, REFRESH_TOKEN
from oauthclients.keys import generate_rsa_private_key_pem
from oauthclients.models import Client
from tests.factories import make_client
from tests.support.http import basic_auth_header
from tests.support.oauth import REVOKE, TOKEN, client_post, consent, query, refresh, user_tokens

AccessToken = get_access_token_model()
REPO = Path(__file__).resolve().parents[2]


def all_text_in_database():
    """Every value of every text-like column of every table, as one string."""
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own table names
            dump.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(dump)


@pytest.mark.django_db
def test_no_plaintext_token_code_or_secret_in_the_database(signed_in, api_client):
    client, secret = make_client(scope="openid beers:read beers:write")
    pending_code = query(consent(signed_in, client))["code"]
    tokens = user_tokens(signed_in, api_client, client, secret, scope="openid beers:read")
    rotated = refresh(api_client, client, secret, tokens["refresh_token"]).json()
    dump = all_text_in_database()
    for value in (
        secret,
        pending_code,
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["id_token"],
        rotated["access_token"],
        rotated["refresh_token"],
    ):
        assert value not in dump
    client.refresh_from_db()
    assert identify_hasher(client.client_secret).algorithm == "hmac_sha256_client_secret"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "headers", "status", "error"),
    [
        ({}, {}, 400, "unsupported_grant_type"),
        ({"grant_type": "magic"}, {}, 400, "unsupported_grant_type"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}, {}, 400, "invalid_request"),
        (
            {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "x" * 5000},
            "basic",
            400,
            "unauthorized_client",
        ),
        ({"grant_type": "authorization_code", "code": "x" * 5000}, "basic", 400, "invalid_grant"),
        ({"grant_type": "authorization_code"}, "basic", 400, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "\x00"}, "basic", 400, "invalid_grant"),
        ({"grant_type": "client_credentials"}, {"HTTP_AUTHORIZATION": "Basic !!!"}, 401, "invalid_client"),
        (
            {"grant_type": "client_credentials"},
            {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"\xff\xfe").decode()},
            401,
            "invalid_client",
        ),
        ({"grant_type": "client_credentials", "client_id": "\x00"}, {}, 401, "invalid_client"),
        ({"grant_type": "password", "username": "\x00", "password": "x"}, "basic", 400, "invalid_grant"),
        ({"grant_type": "client_credentials", "scope": "nope"}, "basic", 400, "invalid_scope"),
    ],
)
def test_garbage_at_the_token_endpoint_is_rfc6749_json_never_a_500(api_client, data, headers, status, error):
    client, secret = make_client(
        grant_types=[CLIENT_CREDENTIALS, PASSWORD, REFRESH_TOKEN, "authorization_code"], scope="stats:read"
    )
    if headers == "basic":
        headers = {"HTTP_AUTHORIZATION": basic_auth_header(client.client_id, secret)}
    response = api_client.post(TOKEN, data, **headers)
    assert response.status_code == status, response.content
    assert response.json()["error"] == error
    assert response["Cache-Control"] == "no-store"
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Basic")
    assert not AccessToken.objects.exists()


@pytest.mark.django_db
def test_a_json_body_or_get_is_an_error_too(api_client):
    assert api_client.post(TOKEN, {"grant_type": "client_credentials"}, format="json").json()["error"]
    assert api_client.get(TOKEN).status_code == 405


@pytest.mark.django_db
def test_an_access_token_in_the_query_string_is_refused(signed_in, api_client):
    client, secret = make_client()
    tokens = user_tokens(signed_in, api_client, client, secret)
    response = api_client.get(f"/api/beers?access_token={tokens['access_token']}")
    # RFC 6750 §3.1: invalid_request is a 400 whose challenge names the error.
    assert response.status_code == 400
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


def test_client_secret_hasher_round_trip_and_salting():
    secret = "s" * 128
    first, second = (
        make_password(secret, hasher="hmac_sha256_client_secret"),
        make_password(secret, hasher="hmac_sha256_client_secret"),
    )
    assert first != second
    assert secret not in first
    assert check_password(secret, first)
    assert not check_password(secret[:-1] + "t", first)


def test_users_passwords_keep_the_slow_default_hasher_and_the_app_appends_its_own():
    from django.conf import settings as django_settings

    from beerlocker import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    # The project does not list the client-secret hasher; oauthclients appends it, last.
    assert "oauthclients.hashers.ClientSecretHasher" not in project_settings.PASSWORD_HASHERS
    assert django_settings.PASSWORD_HASHERS[-1] == "oauthclients.hashers.ClientSecretHasher"


def test_a_new_client_gets_rs256_by_default():
    assert Client().algorithm == "RS256"


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OIDC_", "OAUTH2_"))}
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "beerlocker.settings",
    "DJANGO_SECRET_KEY": "p" * 20 + "production-like-secret-key-for-the-check-1234567890",
    "DJANGO_ALLOWED_HOSTS": "beerlocker.example.com",
    "DJANGO_SECURE_SSL_REDIRECT": "1",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DATABASE_URL": "sqlite:////tmp/beerlocker-check-deploy.sqlite3",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
}


@pytest.mark.slow
def test_check_deploy_reports_no_dot_warning_we_could_fix():
    result = run_manage(
        "check",
        "--deploy",
        OIDC_RSA_PRIVATE_KEY=generate_rsa_private_key_pem(),
        OAUTH2_ALLOW_IMPLICIT_GRANT="0",
        OAUTH2_ALLOW_PASSWORD_GRANT="0",
        **PRODUCTION,
    )
    assert "oauth2_provider." not in result.stdout + result.stderr, result.stdout + result.stderr
    # The grants an operator turns on are reported (oauth2_provider.W001/W002):
    # tests/security/test_deployment.py::test_grants_an_operator_turns_on_are_reported.


@pytest.mark.slow
def test_without_debug_and_without_a_key_the_server_refuses_to_start():
    result = run_manage("check", **PRODUCTION)
    assert result.returncode != 0
    assert "OIDC_RSA_PRIVATE_KEY" in result.stderr


@pytest.mark.slow
def test_a_key_file_is_read(tmp_path):
    key_file = tmp_path / "oidc.pem"
    key_file.write_text(generate_rsa_private_key_pem())
    assert run_manage("check", OIDC_RSA_PRIVATE_KEY_FILE=str(key_file), **PRODUCTION).returncode == 0
    missing = run_manage("check", OIDC_RSA_PRIVATE_KEY_FILE=str(tmp_path / "missing"), **PRODUCTION)
    assert f"The OIDC signing key file {tmp_path / 'missing'} cannot be read" in missing.stderr


def test_createoidckey_writes_the_key_file_under_base_dir_whatever_the_cwd_and_the_app_reads_it(
    tmp_path, settings, monkeypatch
):
    from django.core.management import call_command
    from oauth2_provider.settings import oauth2_settings

    from oauthclients.apps import oidc_signing_key_check

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings.BASE_DIR = tmp_path / "site"
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "OIDC_KEY_FILE": "var/oidc.key"}
    settings.OAUTH2_PROVIDER = {
        k: v for k, v in settings.OAUTH2_PROVIDER.items() if k != "OIDC_RSA_PRIVATE_KEY"
    }
    path = tmp_path / "site" / "var" / "oidc.key"
    # Before the command ran there is no key, and the check says how to make one.
    assert oauth2_settings.OIDC_RSA_PRIVATE_KEY == ""
    assert [message.id for message in oidc_signing_key_check(None)] == ["oauthclients.E003"]
    settings.DEBUG = True
    assert [message.id for message in oidc_signing_key_check(None)] == ["oauthclients.W001"]

    out = io.StringIO()
    call_command("createoidckey", stdout=out)
    assert f"Created the OpenID Connect signing key {path}." in out.getvalue()
    assert not (elsewhere / "var").exists()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    first = path.read_text()
    oauth2_settings.reload()
    assert first == oauth2_settings.OIDC_RSA_PRIVATE_KEY
    assert oidc_signing_key_check(None) == []
    call_command("createoidckey", stdout=io.StringIO())
    assert path.read_text() == first


def test_createoidckey_writes_where_output_says(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "keys" / "signing.pem"
    call_command("createoidckey", "--output", str(target), stdout=io.StringIO())
    assert "PRIVATE KEY" in target.read_text()


@pytest.mark.django_db
def test_client_endpoints_work_without_a_csrf_token_but_the_consent_form_does_not(user):
    from django.test import Client as BrowserClient

    client, secret = make_client(grant_types=[CLIENT_CREDENTIALS], scope="stats:read")
    strict = BrowserClient(enforce_csrf_checks=True)
    response = strict.post(
        TOKEN,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth_header(client.client_id, secret),
    )
    assert response.status_code == 200
    revoke = client_post(strict, REVOKE, client, secret, token=response.json()["access_token"])
    assert revoke.status_code == 200
    assert not AccessToken.objects.exists()


@pytest.mark.django_db
def test_nul_bytes_anywhere_are_a_clean_oauth_error(signed_in, api_client):
    nul_basic = {"HTTP_AUTHORIZATION": basic_auth_header("a\x00b", "secret")}
    assert signed_in.get("/api/oauth2/authorize?response_type=code&client_id=a%00b").status_code == 400
    for path in ("/api/oauth2/revoke_token", "/api/oauth2/introspect"):
        response = api_client.post(path, {"token": "x\x00"}, **nul_basic)
        assert response.status_code == 401, path
        assert response.json()["error"] == "invalid_client"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query_string", "status"),
    [
        ("", 400),
        ("client_id={cid}&response_type=code&redirect_uri=%ZZ", 400),
        ("client_id={cid}&response_type=code&state=%", 200),
        ("client_id={cid}&response_type=magic", 302),
        ("client_id={cid}&response_type=code&scope=%00", 302),
        ("client_id={cid}&response_type=code&resource=not-a-url", 302),
        ("client_id={cid}&response_type=code%20id_token&scope=openid", 302),
        ("client_id={cid}&response_type=code&prompt=create", 400),
    ],
)
def test_garbage_at_the_authorization_endpoint_never_crashes(signed_in, query_string, status):
    client, _secret = make_client()
    response = signed_in.get("/api/oauth2/authorize?" + query_string.format(cid=client.client_id))
    assert response.status_code == status
    if status == 302:
        location = response["Location"]
        assert location.startswith("https://client.example.com/callback")
        assert query(location)["error"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "form",
    [
        {},
        {"client_id": "nope", "allow": "Allow"},
        {"redirect_uri": "https://evil.example/cb", "response_type": "code", "allow": "Allow"},
        {
            "redirect_uri": "https://evil.example/cb",
            "response_type": "code",
            "scope": "beers:read",
            "allow": "Allow",
        },
    ],
)
def test_a_tampered_consent_form_is_an_error_page_and_grants_nothing(signed_in, form):
    from oauth2_provider.models import get_grant_model

    client, _secret = make_client()
    response = signed_in.post("/api/oauth2/authorize", {"client_id": client.client_id, **form})
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert "cannot be completed" in response.content.decode()
    assert not get_grant_model().objects.exists()


@pytest.mark.django_db
def test_signed_out_user_with_an_unknown_client_gets_the_error_page_not_a_sign_in():
    from django.test import Client as BrowserClient

    response = BrowserClient().get("/api/oauth2/authorize?response_type=code&client_id=nope")
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert "cannot be completed" in response.content.decode()
