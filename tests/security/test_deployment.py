"""Issue 9 §9: HTTPS, HSTS and a Content-Security-Policy by default in production."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from oauthclients.keys import generate_rsa_private_key_pem

ROOT = Path(__file__).resolve().parents[2]


def deploy_check(**overrides):
    """``manage.py check --deploy`` under the README's production settings; returns the check ids."""
    returncode, output = deploy_check_output(**overrides)
    return returncode, set(re.findall(r"\(([\w.]+\.[WE]\d+)\)", output))


def deploy_check_output(**overrides):
    """``manage.py check --deploy`` under docs/deploying.md's settings (``None`` unsets one)."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "OAUTH2_", "AUTH_"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "beerlocker.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "beerlocker.example.com",
        "DATABASE_URL": "postgres://beerlocker@db.example.com:5432/beerlocker",
        "REDIS_URL": "redis://cache.example.com:6379/0",
        "DJANGO_STATIC_MANIFEST": "1",
        "OIDC_RSA_PRIVATE_KEY": generate_rsa_private_key_pem(),
        "EMAIL_URL": "smtp+tls://beerlocker@smtp.example.com:587",
        # Passkeys' relying party (docs/deploying.md); unset, the request's origin is used.
        "WEBAUTHN_RP_ID": "beerlocker.example.com",
        "WEBAUTHN_ORIGINS": "https://beerlocker.example.com",
        "DJANGO_ENV_FILE": os.devnull,  # not a developer's .env
        **overrides,
    }
    env = {key: value for key, value in env.items() if value is not None}
    result = subprocess.run(  # noqa: S603 - our own manage.py with a fixed argument list
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.slow
def test_check_deploy_is_silent_on_the_documented_production_settings():
    """Issue 23: the implicit and password grants are off unless the operator turns them on."""
    returncode, output = deploy_check_output()
    assert (returncode, output.strip()) == (0, "System check identified no issues (0 silenced).")


@pytest.mark.slow
def test_grants_an_operator_turns_on_are_reported():
    returncode, issues = deploy_check(OAUTH2_ALLOW_IMPLICIT_GRANT="1", OAUTH2_ALLOW_PASSWORD_GRANT="1")
    assert (returncode, issues) == (0, {"oauth2_provider.W001", "oauth2_provider.W002"})


# Each development or missing production setting: the check's id, and the setting and fix it names.
REFUSED = {
    "debug": ({"DJANGO_DEBUG": "1"}, "ops.E001", ["DJANGO_DEBUG is on", "Set DJANGO_DEBUG=0"]),
    "weak key": (
        {"DJANGO_SECRET_KEY": "x" * 20 + "y" * 20},
        "ops.E003",
        ["DJANGO_SECRET_KEY", "token_urlsafe(50)"],
    ),
    "dev key": (
        {"DJANGO_SECRET_KEY": "dev-only-insecure-key-never-used-with-debug-off"},
        "ops.E003",
        ["DJANGO_SECRET_KEY is the development key"],
    ),
    "no hosts": ({"DJANGO_ALLOWED_HOSTS": None}, "ops.E004", ["DJANGO_ALLOWED_HOSTS is empty"]),
    "any host": ({"DJANGO_ALLOWED_HOSTS": "*"}, "ops.E004", ["DJANGO_ALLOWED_HOSTS is '*'"]),
    "no database": ({"DATABASE_URL": None}, "ops.E005", ["DATABASE_URL is not set", "postgres://"]),
    "console mail": ({"EMAIL_URL": "consolemail://"}, "ops.E006", ["EMAIL_URL is unset or console"]),
    "no mail": ({"EMAIL_URL": None}, "ops.E006", ["Set EMAIL_URL to your SMTP server"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", REFUSED)
def test_check_deploy_names_each_refused_setting_and_its_fix(case):
    overrides, check_id, phrases = REFUSED[case]
    returncode, output = deploy_check_output(**overrides)

    assert returncode == 1
    assert f"({check_id})" in output
    for phrase in phrases:
        assert phrase in output


@pytest.mark.slow
def test_the_env_file_make_run_wrote_is_refused(tmp_path):
    from scripts.devserver import write_env_file

    write_env_file(tmp_path / ".env")
    returncode, output = deploy_check_output(DJANGO_ENV_FILE=str(tmp_path / ".env"), DJANGO_SECRET_KEY=None)

    assert returncode == 1
    assert f"(ops.E002) {tmp_path / '.env'} was written by `make run`" in output


@pytest.mark.slow
@pytest.mark.parametrize(
    ("overrides", "warning"),
    [
        ({"DATABASE_URL": "sqlite:////srv/beerlocker/db.sqlite3"}, "ops.W001"),
        ({"REDIS_URL": None}, "ops.W002"),
    ],
)
def test_a_single_host_deployment_is_warned_not_refused(overrides, warning):
    returncode, issues = deploy_check(**overrides)
    assert (returncode, issues) == (0, {warning})


@pytest.mark.slow
def test_the_https_redirect_can_be_left_to_a_tls_proxy():
    _, issues = deploy_check(DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_BEHIND_TLS_PROXY="1")
    assert "security.W008" in issues  # the switch works (and the check says who must redirect)
    assert "security.W004" not in issues


PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/admin/login/",
    "/api-auth/login/",
    "/api/docs",
    "/api/docs/oauth2-redirect.html",
    "/api/beers",
    "/api/schema",
    "/no-such-page",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_a_strict_content_security_policy(client, path):
    response = client.get(path, HTTP_ACCEPT="text/html")

    policy = dict(
        directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


@pytest.mark.django_db
def test_the_consent_page_carries_the_policy(client, user):
    from tests.factories import make_client
    from tests.support.oauth import authorize_url, pkce_pair

    client.force_login(user)
    application, _ = make_client()
    _, challenge = pkce_pair()
    page = client.get(authorize_url(application, code_challenge=challenge, code_challenge_method="S256"))

    assert page.status_code == 200
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_api_docs_run_no_inline_script(client):
    page = client.get("/api/docs").content.decode()
    scripts = re.findall(r"<script([^>]*)>", page)

    assert scripts
    assert all("src=" in attributes for attributes in scripts)
    assert client.get("/api/docs?script=").status_code == 200
