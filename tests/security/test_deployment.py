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
        **overrides,
    }
    result = subprocess.run(  # noqa: S603 - our own manage.py with a fixed argument list
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, set(re.findall(r"\(([\w.]+\.[WE]\d+)\)", result.stdout + result.stderr))


@pytest.mark.slow
def test_check_deploy_reports_only_the_documented_grant_warnings():
    returncode, issues = deploy_check()
    assert returncode == 0
    assert issues == {"oauth2_provider.W001", "oauth2_provider.W002"}


@pytest.mark.slow
def test_check_deploy_is_silent_with_the_implicit_and_password_grants_off():
    returncode, issues = deploy_check(OAUTH2_ALLOW_IMPLICIT_GRANT="0", OAUTH2_ALLOW_PASSWORD_GRANT="0")
    assert (returncode, issues) == (0, set())


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
