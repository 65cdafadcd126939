"""Every shell example in README.md and docs/*.md runs, in the order printed, against a fresh
server started the way `make run` starts it (a real runserver process on a random port, a new
SQLite database, the demo data), and each answer is checked, so the docs cannot drift.

The docs' conventions, which this test reads:

- a ```sh block is run in one bash session with everything before it (variables carry over);
- `# → 201 {"key", "key": "value"}` after a command is the answer it must get: that status, and
  each quoted string in the body; a call without such a line must answer below 400;
- `<!-- docs-test: skip: why -->` before a block names why it cannot run here (and what covers it);
- `<!-- docs-test: consent USER -->` marks a browser step: the test signs in as USER and presses
  Allow on the URL the block prints, then types the code into the block's `read`;
- `<!-- docs-test: device USER -->` marks the device flow's browser step: the test signs in as USER,
  opens the verification URL the block prints, submits the code there and presses Allow, then
  presses Enter at the block's `read`.
"""

import html.parser
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from oauthclients.keys import generate_rsa_private_key_pem

# Slow (the docs' commands against a server subprocess): skipped by make test-fast.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["README.md", *sorted(str(path.relative_to(ROOT)) for path in (ROOT / "docs").glob("*.md"))]
PRINTED_URL = "http://127.0.0.1:8000"
BLOCK = re.compile(r"(?:<!-- docs-test: (?P<mark>.+?) -->\n)?```sh\n(?P<code>.*?)```", re.S)
ALICE_PASSWORD = "a long passphrase"  # the tour's

PRELUDE = r"""
set -euo pipefail
# Every call is logged (status and body) for the checks; the body is printed as curl would.
curl() {
  local out status body
  out=$(command curl --silent --show-error --write-out '\n%{http_code}' "$@")
  status=${out##*$'\n'}
  body=${out%$'\n'*}
  printf 'RESPONSE %s %s\n' "$status" "$(printf '%s' "$body" | tr '\n' ' ')" >> "$DOCS_LOG"
  printf '%s\n' "$body"
}
__expect() { printf 'EXPECT %s\n' "$1" >> "$DOCS_LOG"; }
"""


def examples():
    """(page, mark, code) for every ```sh block, README first, then docs/ by name."""
    for page in PAGES:
        for match in BLOCK.finditer((ROOT / page).read_text()):
            yield page, match["mark"], match["code"]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh `make run`: migrate a new SQLite file, seed the demo data, runserver on a free port."""
    workdir = tmp_path_factory.mktemp("docs")
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(workdir),
        "DJANGO_DEBUG": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "OIDC_RSA_PRIVATE_KEY": generate_rsa_private_key_pem(),
        "PYTHONUNBUFFERED": "1",
    }
    python = [sys.executable, "manage.py"]
    url = f"http://127.0.0.1:{port}"
    for args in (
        ["migrate", "--noinput", "-v", "0"],
        ["seed_demo", "--url", url, "--passwords-file", str(workdir / "pw.json")],
    ):
        subprocess.run([*python, *args], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    log = open(workdir / "server.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603
        [*python, "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        for _ in range(100):
            try:
                requests.get(f"{url}/api/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield {"url": url, "env": env, "workdir": workdir}
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


class _Inputs(html.parser.HTMLParser):
    """The named inputs of a page's forms (hidden fields, CSRF token)."""

    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")


def _inputs(page):
    parser = _Inputs()
    parser.feed(page)
    return parser.fields


def _consent(url, authorize_url, username, password):
    """What the reader does in the browser: sign in, press Allow; returns the code from the redirect."""
    browser = requests.Session()
    login = browser.get(f"{url}/accounts/login/", timeout=10)
    signed_in = browser.post(
        f"{url}/accounts/login/",
        data={**_inputs(login.text), "username": username, "password": password, "next": authorize_url},
        headers={"Referer": f"{url}/accounts/login/"},
        timeout=10,
    )
    assert "Allow" in signed_in.text, signed_in.text[:2000]
    answer = browser.post(
        signed_in.url,
        data={**_inputs(signed_in.text), "allow": "Allow"},
        headers={"Referer": signed_in.url},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303, answer.text[:2000]
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def _allow_device(url, verification_url, username, password):
    """What the reader does in the browser for the device flow: sign in, Continue with the code
    the URL carries, press Allow."""
    browser = requests.Session()
    login = browser.get(f"{url}/accounts/login/", timeout=10)
    page = browser.post(
        f"{url}/accounts/login/",
        data={**_inputs(login.text), "username": username, "password": password, "next": verification_url},
        headers={"Referer": f"{url}/accounts/login/"},
        timeout=10,
    )
    assert 'name="user_code"' in page.text, page.text[:2000]
    confirm = browser.post(page.url, data={**_inputs(page.text)}, headers={"Referer": page.url}, timeout=10)
    assert "Allow" in confirm.text, confirm.text[:2000]
    done = browser.post(
        confirm.url,
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"], "allow": "Allow"},
        headers={"Referer": confirm.url},
        timeout=10,
    )
    assert "Device connected" in done.text, done.text[:2000]


def _as_run(code, url):
    """The block as the test runs it: this server's URL, and each `# → ...` line recorded."""
    code = code.replace(PRINTED_URL, url)
    lines = []
    for line in code.splitlines():
        lines.append(line)
        if line.startswith("# → "):
            lines.append(f"__expect {json.dumps(line.removeprefix('# → '))}")
    return "\n".join(lines) + "\n"


def _bash(script, state, env, stdin=""):
    """Run ``script`` after the state the earlier blocks left, and keep the state it leaves."""
    wrapped = (
        f"{PRELUDE}\nset -a\n[ -f {state} ] && source {state}\n{script}\n"
        f"{{ export -p; declare -f; }} > {state}\n"
    )
    return subprocess.run(  # noqa: S603
        ["bash", "-c", wrapped],  # noqa: S607 - the shell the docs are written for
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,  # noqa: S607
    )


def _check(log_lines):
    """Each answer against the expectation printed after it; unannotated calls must succeed."""
    answers = []
    for line in log_lines:
        kind, _, rest = line.partition(" ")
        if kind == "RESPONSE":
            status, _, body = rest.partition(" ")
            answers.append({"status": int(status), "body": body, "expected": None})
        elif kind == "EXPECT":
            assert answers, f"an expectation with no call before it: {rest}"
            answers[-1]["expected"] = rest
    for answer in answers:
        expected = answer["expected"]
        if expected is None:
            assert answer["status"] < 400, answer
            continue
        status = re.match(r"\d{3}", expected)
        assert status, f"an expectation names the status first: {expected}"
        assert answer["status"] == int(status.group()), answer
        body = re.sub(r'"\s*:\s*', '": ', answer["body"])
        for quoted in re.findall(r'"[^"…]*"(?:: "[^"…]*")?', expected):
            assert quoted in body, (quoted, answer)
    return answers


def test_every_shell_example_runs_in_order_and_gets_the_answer_printed(server):
    state = server["workdir"] / "state.sh"
    log = server["workdir"] / "answers.log"
    env = {**server["env"], "DOCS_LOG": str(log)}
    ran, skipped = [], []
    for page, mark, code in examples():
        if mark and mark.startswith("skip:"):
            assert len(mark) > len("skip: ") + 10, f"{page}: say why a block cannot run"
            skipped.append(page)
            continue
        script = _as_run(code, server["url"])
        if mark and mark.startswith("consent "):
            before, read, after = script.partition("read ")
            shown = _bash(before, state, env)
            assert shown.returncode == 0, (page, shown.stderr)
            authorize_url = shown.stdout.strip().splitlines()[-1]
            assert authorize_url.startswith(f"{server['url']}/api/oauth2/authorize?")
            code_value = _consent(server["url"], authorize_url, mark.split()[1], ALICE_PASSWORD)
            result = _bash(read + after, state, env, stdin=code_value + "\n")
        elif mark and mark.startswith("device "):
            before, read, after = script.partition("read ")
            shown = _bash(before, state, env)
            assert shown.returncode == 0, (page, shown.stderr)
            verification_url = shown.stdout.strip().splitlines()[-1]
            assert verification_url.startswith(f"{server['url']}/api/oauth2/device?user_code=")
            _allow_device(server["url"], verification_url, mark.split()[1], ALICE_PASSWORD)
            result = _bash(read + after, state, env, stdin="\n")
        else:
            result = _bash(script, state, env)
        assert result.returncode == 0, (page, code, result.stdout, result.stderr, log.read_text())
        ran.append(page)

    answers = _check(log.read_text().splitlines())
    assert {"README.md", "docs/api.md", "docs/oauth.md", "docs/social.md"} <= set(ran)
    assert len(answers) >= 20
    assert sum(answer["expected"] is not None for answer in answers) >= 18


def test_the_checker_catches_a_wrong_answer():
    with pytest.raises(AssertionError):
        _check(["RESPONSE 404 {}", 'EXPECT 200 {"id"}'])
    with pytest.raises(AssertionError):
        _check(['RESPONSE 200 {"id":1}', 'EXPECT 200 {"name": "Orval"}'])
    with pytest.raises(AssertionError):
        _check(['RESPONSE 400 {"name":["This field may not be blank."]}'])
    assert _check(['RESPONSE 201 {"id":4,"name":"Orval"}', 'EXPECT 201 {"id", "name": "Orval"}'])
