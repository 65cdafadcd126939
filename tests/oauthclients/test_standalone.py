"""oauthclients in a project of its own: only it, DOT, DRF and Django's contrib apps installed.

A separate pytest process, because a settings module (INSTALLED_APPS, URLs, migrations) is
fixed for the life of a process. ``--confcutdir`` keeps this suite's conftest (which needs the
whole project) out of it.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_authorization_code_flow_runs_in_a_project_with_oauthclients_alone(tmp_path):
    """A project that sets none of DOT's settings gets the app's (the fast hasher, PKCE S256, RFC
    9207 iss, code-only grants, OIDC with the key ``createoidckey`` wrote under its BASE_DIR)."""
    env = {**os.environ, "STANDALONE_BASE_DIR": str(tmp_path / "site"), "PYTHONPATH": str(ROOT)}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    created = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "django",
            "createoidckey",
            "--settings=tests.standalone.oauthclients_settings",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "site" / "var" / "oidc.key").is_file()
    assert list(elsewhere.iterdir()) == []
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--ds=tests.standalone.oauthclients_settings",
            "--confcutdir=tests/standalone",
            "tests/standalone/oauthclients_project.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
