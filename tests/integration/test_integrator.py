"""What an integrator does, as written in docs/reusable-apps.md, in a project that knows nothing of ours.

Build the wheel, install it into a fresh virtualenv, ``django-admin startproject mysite`` with its
own ``accounts`` app (custom user model) and ``api`` package, append the doc's marked settings and
URL blocks (extracted from the doc, never copied), migrate, ``createoidckey``, serve with
``runserver --noreload`` on a free loopback port, then with authlib: the code flow with PKCE and
OpenID Connect (signed in by session, consent Allow posted), refresh, revoke, client credentials;
every shipped page opened signed in; a client added in the admin shows its secret once.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reusable-apps.md"
PASSWORD = "integrator-Passw0rd-long"  # noqa: S105 - a throwaway superuser in a temporary project
BLOCK = re.compile(r"<!-- integrator: (settings|urls) -->\s*\n(\s*)```python\n(.*?)\n\s*```", re.S)

pytestmark = pytest.mark.slow


def doc_blocks(kind: str) -> list[str]:
    """The doc's ``<!-- integrator: kind -->`` python blocks, dedented, in order."""
    return [textwrap.dedent(code) for k, _indent, code in BLOCK.findall(DOC.read_text()) if k == kind]


def test_the_doc_marks_one_settings_block_per_app_and_urls_for_each():
    assert len(doc_blocks("settings")) == 4  # the API policy, lockers, oauthclients, socialaccounts
    assert len(doc_blocks("urls")) == 3
    settings_text = "\n".join(doc_blocks("settings"))
    assert "..." not in settings_text
    assert settings_text.count("REST_FRAMEWORK =") == 1


def run(*args, cwd, env=None, timeout=180):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)  # noqa: S603
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


class Forms(HTMLParser):
    """Every form's action, method and fields (inputs, checked boxes, selected options, textareas)."""

    def __init__(self):
        super().__init__()
        self.forms, self._select, self._textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get"), "fields": []})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") == "submit":
                return
            self.forms[-1]["fields"].append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._first = a.get("name"), None
            self._chosen = False
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a:
                self._chosen = True
                self.forms[-1]["fields"].append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.forms[-1]["fields"].append((self._textarea, ""))

    def handle_endtag(self, tag):
        if tag == "select":
            # A browser submits the first option of a select with none selected.
            if self._select and not self._chosen and self._first is not None:
                self.forms[-1]["fields"].append((self._select, self._first))
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            name, value = self.forms[-1]["fields"][-1]
            self.forms[-1]["fields"][-1] = (name, value + data)


def forms(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The integrator's project, installed, migrated and served; yields (base URL, python)."""
    work = tmp_path_factory.mktemp("integrator")
    dist = work / "dist"
    run(sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT), cwd=work, timeout=300)
    wheel = next(dist.glob("*.whl"))
    run(sys.executable, "-m", "venv", str(work / "venv"), cwd=work)
    bin_dir = work / "venv" / "bin"
    python = str(bin_dir / "python")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "OIDC_", "OAUTH2_", "VIRTUAL_ENV"))
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    run(python, "-m", "pip", "install", "--quiet", str(wheel), cwd=work, env=env, timeout=600)

    run(str(bin_dir / "django-admin"), "startproject", "mysite", cwd=work, env=env)
    project = work / "mysite"
    run(python, "manage.py", "startapp", "accounts", cwd=project, env=env)
    (project / "accounts" / "models.py").write_text(
        "from django.contrib.auth.models import AbstractUser\n\n\nclass User(AbstractUser):\n    pass\n"
    )
    (project / "api").mkdir()
    (project / "api" / "__init__.py").write_text('"""The integrator\'s own api package."""\n')
    (project / "api" / "compiled.py").write_text("OURS = True\n")
    settings_py = project / "mysite" / "settings.py"
    settings_py.write_text(
        settings_py.read_text()
        + '\nINSTALLED_APPS += ["accounts", "api"]\nAUTH_USER_MODEL = "accounts.User"\n\n'
        + "\n\n".join(doc_blocks("settings"))
        + "\n"
    )
    urls_py = project / "mysite" / "urls.py"
    urls_py.write_text(urls_py.read_text() + "\n\n" + "\n\n".join(doc_blocks("urls")) + "\n")

    run(python, "manage.py", "makemigrations", "accounts", cwd=project, env=env)
    run(python, "manage.py", "migrate", "--noinput", cwd=project, env=env)
    run(python, "manage.py", "createoidckey", cwd=project, env=env)
    admin_env = {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
    run(
        python,
        "manage.py",
        "createsuperuser",
        "--noinput",
        "--username",
        "ann",
        "--email",
        "ann@example.com",
        cwd=project,
        env=admin_env,
    )
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{base}/admin/login/", timeout=2)
            break
        except requests.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"runserver did not start: {server.communicate()[0]}")
            time.sleep(0.2)
    try:
        yield base, python, project, env
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work / "venv", ignore_errors=True)


def signed_in(base: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/admin/login/", timeout=10)
    form = forms(page.text)[0]
    data = dict(form["fields"]) | {"username": "ann", "password": PASSWORD}
    answer = browser.post(f"{base}/admin/login/", data=data, headers={"Referer": page.url}, timeout=10)
    assert answer.status_code == 200 and "sessionid" in browser.cookies, answer.text[:500]
    return browser


def post_form(browser, page, form, extra=None, **kwargs):
    action = form["action"] or page.url
    url = requests.compat.urljoin(page.url, action)
    data = [*form["fields"], *(extra or {}).items()]
    return browser.post(url, data=data, headers={"Referer": page.url}, timeout=10, **kwargs)


def test_an_integrator_following_the_doc_gets_every_flow_and_page(site):
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.jose import JsonWebKey, jwt

    base, python, project, env = site
    browser = signed_in(base)

    # The admin: add a confidential client; its secret is shown once, on the page after saving.
    add = browser.get(f"{base}/admin/oauthclients/client/add/", timeout=10)
    assert add.status_code == 200, add.text[:2000]
    form = max(forms(add.text), key=lambda f: len(f["fields"]))  # not the header's logout form
    redirect_uri = f"{base}/callback"
    fields = [
        (k, v)
        for k, v in form["fields"]
        if k not in ("name", "redirect_uris", "grant_types", "scope", "user")
    ]
    form = {**form, "fields": fields}
    user_id = "1"  # the owner field is a raw id; createsuperuser made the only user
    data = [
        *fields,
        ("name", "Integrator App"),
        ("user", user_id),
        ("redirect_uris", redirect_uri),
        ("scope", "openid beers:read"),
        ("grant_types", "authorization_code"),
        ("grant_types", "refresh_token"),
    ]
    saved = browser.post(add.url, data=data, headers={"Referer": add.url}, timeout=10)
    assert saved.status_code == 200, saved.text[:2000]
    errors = re.findall(r'<ul class="errorlist[^>]*>(.*?)</ul>', saved.text, re.S)
    assert "copy its secret now" in saved.text, (errors, [name for name, _value in fields])
    client_id = re.search(
        r"(?<![A-Za-z0-9])[A-Za-z0-9]{40}(?![A-Za-z0-9])",
        saved.text[saved.text.index("copy its secret now") :],
    ).group(0)
    secret = re.search(r"(?<![A-Za-z0-9])[A-Za-z0-9]{128}(?![A-Za-z0-9])", saved.text).group(0)
    again = browser.get(saved.url, timeout=10)
    assert secret not in again.text

    # The code flow with PKCE and OpenID Connect, with authlib, the user signed in by session.
    oauth = OAuth2Session(
        client_id, secret, scope="openid beers:read", redirect_uri=redirect_uri, code_challenge_method="S256"
    )
    verifier = "v" * 64
    url, state = oauth.create_authorization_url(
        f"{base}/api/oauth2/authorize", code_verifier=verifier, nonce="n-1"
    )
    consent = browser.get(url, timeout=10)
    assert consent.status_code == 200, " ".join(
        re.sub(r"<style>.*?</style>|<[^>]+>", " ", consent.text, flags=re.S).split()
    )[:800]
    allow = next(f for f in forms(consent.text) if f["method"].lower() == "post")
    answer = post_form(browser, consent, allow, {"allow": "Authorize"}, allow_redirects=False)
    assert answer.status_code == 303, answer.text[:2000]
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["iss"] == [f"{base}/api/oauth2"]  # RFC 9207, from the app's defaults
    token = oauth.fetch_token(
        f"{base}/api/oauth2/token", authorization_response=answer.headers["Location"], code_verifier=verifier
    )
    jwks = JsonWebKey.import_key_set(
        requests.get(f"{base}/api/oauth2/.well-known/jwks.json", timeout=10).json()
    )
    claims = jwt.decode(token["id_token"], jwks)
    claims.validate()
    assert claims["iss"] == f"{base}/api/oauth2" and claims["aud"] == client_id and claims["nonce"] == "n-1"
    beers = requests.get(
        f"{base}/api/beers", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert beers.status_code == 200, beers.text

    # Refresh (rotated) and revoke.
    refreshed = oauth.refresh_token(f"{base}/api/oauth2/token", refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    oauth.revoke_token(f"{base}/api/oauth2/revoke_token", token=refreshed["access_token"])
    gone = requests.get(
        f"{base}/api/beers", headers={"Authorization": f"Bearer {refreshed['access_token']}"}, timeout=10
    )
    assert gone.status_code == 401

    # Client credentials: a client registered through the portal's API with the app scope.
    made = browser.post(
        f"{base}/api/clients",
        json={
            "client_name": "Machine",
            "grant_types": ["client_credentials"],
            "scope": "stats:read",
            "redirect_uris": [],
        },
        headers={"X-CSRFToken": browser.cookies.get("csrftoken", ""), "Referer": base},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    machine = OAuth2Session(made.json()["client_id"], made.json()["client_secret"], scope="stats:read")
    app_token = machine.fetch_token(f"{base}/api/oauth2/token", grant_type="client_credentials")
    stats = requests.get(
        f"{base}/api/stats", headers={"Authorization": f"Bearer {app_token['access_token']}"}, timeout=10
    )
    assert stats.status_code == 200, stats.text

    # Every shipped page, signed in: 200 and no TemplateDoesNotExist.
    pages = [
        "/account/beers/",
        "/account/beers/add/",
        "/account/apps/",
        "/account/developer/",
        "/account/developer/new/",
        f"/account/developer/{client_id}/",
        f"/account/developer/{client_id}/edit/",
        "/account/connections",
        "/admin/oauthclients/client/",
    ]
    for path in pages:
        page = browser.get(f"{base}{path}", timeout=10)
        assert page.status_code == 200, f"{path}: {page.status_code} {page.text[:1000]}"
        assert "TemplateDoesNotExist" not in page.text, path
    # RP-initiated logout's confirmation page (no id_token_hint: it asks).
    logout = browser.get(f"{base}/api/oauth2/logout", timeout=10)
    assert logout.status_code == 200 and "TemplateDoesNotExist" not in logout.text
