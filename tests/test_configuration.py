"""Configuration a newcomer meets: `.env.example` as shipped starts, and every variable settings
reads is listed in it and in docs/configuration.md."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.devserver import port_is_free, write_env_file

ROOT = Path(__file__).resolve().parent.parent
# env.str("NAME", ...), env.bool("NAME", ...), env("NAME") and os.environ.get("NAME") / os.getenv("NAME")
READ = re.compile(r"""\b(?:env(?:\.\w+)?|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
# What the process sets for itself, not configuration.
NOT_CONFIGURATION = {"DJANGO_SETTINGS_MODULE"}


def settings_variables() -> set[str]:
    """Every environment variable the project's configuration reads (settings and the server config)."""
    sources = [ROOT / "beerlocker" / "settings.py", *ROOT.glob("*.conf.py"), *ROOT.glob("ops/*.py")]
    found = {name for source in sources for name in READ.findall(source.read_text())}
    return found - NOT_CONFIGURATION


def example_variables() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))


def test_the_scan_finds_the_variables_settings_reads():
    found = settings_variables()

    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "EMAIL_URL", "OAUTH2_REFRESH_TOKEN_IDLE_SECONDS"} <= found
    assert {"DJANGO_SECURE_COOKIES", "DJANGO_CONN_MAX_AGE", "DJANGO_LOG_LEVEL", "API_SIGNUP_RATE"} <= found


def test_every_variable_settings_reads_is_in_env_example():
    assert settings_variables() - example_variables() == set()


def test_env_example_lists_nothing_settings_does_not_read():
    assert example_variables() - settings_variables() == set()


def test_every_variable_settings_reads_is_in_the_configuration_table():
    table = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", table, re.M))

    assert settings_variables() - documented == set()


def _project_copy(tmp_path: Path) -> Path:
    """The checkout as a fresh clone has it: no .env, no database, no var/."""
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "var", ".env", "*.sqlite3", "test-artifacts", "__pycache__", "htmlcov"
    )
    copy = tmp_path / "beerlocker"
    shutil.copytree(ROOT, copy, ignore=ignore)
    return copy


def _run(args, cwd, extra_env=None):
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd), **(extra_env or {})}
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_env_example_copied_as_is_starts(tmp_path):
    project = _project_copy(tmp_path)
    shutil.copy(project / ".env.example", project / ".env")

    check = _run(["manage.py", "check"], cwd=project)
    migrate = _run(["manage.py", "migrate", "--noinput", "-v", "0"], cwd=project)

    assert check.returncode == 0, check.stderr
    assert "System check identified" in check.stdout + check.stderr
    assert migrate.returncode == 0, migrate.stderr
    assert (project / "db.sqlite3").is_file()


@pytest.mark.slow
def test_empty_values_mean_unset(tmp_path):
    project = _project_copy(tmp_path)
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.OAUTH2_PROVIDER['ACCESS_TOKEN_EXPIRE_SECONDS'], "
        "s.OAUTHCLIENTS['REFRESH_TOKEN_IDLE_SECONDS'], "
        "s.EMAIL_BACKEND, s.DATABASES['default']['ENGINE'], s.SECURE_HSTS_SECONDS)"
    )
    empty = dict.fromkeys(example_variables(), "")

    result = _run(
        ["-c", code],
        cwd=project,
        extra_env=empty | {"DJANGO_SETTINGS_MODULE": "beerlocker.settings", "DJANGO_DEBUG": "1"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "3600",
        "2592000",
        "django.core.mail.backends.console.EmailBackend",
        "django.db.backends.sqlite3",
        "0",
    ]


@pytest.mark.slow
def test_without_debug_or_a_secret_key_a_command_says_what_to_set(tmp_path):
    project = _project_copy(tmp_path)

    result = _run(["manage.py", "check"], cwd=project)

    assert result.returncode == 1
    assert "Set DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.slow
def test_make_runs_first_start_writes_a_private_env_that_lets_manage_py_work(tmp_path):
    project = _project_copy(tmp_path)

    assert write_env_file(project / ".env") is True
    assert write_env_file(project / ".env") is False  # never overwritten
    result = _run(["manage.py", "createclient", "--help"], cwd=project)

    assert (project / ".env").stat().st_mode & 0o077 == 0
    assert "DJANGO_DEBUG=1" in (project / ".env").read_text()
    assert result.returncode == 0, result.stderr


def test_port_check_sees_a_listening_server():
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert port_is_free("127.0.0.1", port) is False
    assert port_is_free("127.0.0.1", port) is True


@pytest.mark.slow
def test_a_second_make_run_on_a_taken_port_stops_and_changes_nothing(tmp_path):
    import socket

    project = _project_copy(tmp_path)
    venv = ROOT / ".venv"
    with socket.socket() as first_server:
        first_server.bind(("127.0.0.1", 0))
        first_server.listen()
        port = first_server.getsockname()[1]
        # -o: never (re)install into the shared virtualenv from this copy.
        result = subprocess.run(  # noqa: S603
            ["make", "-o", f"{venv}/.installed", "run", f"PORT={port}", f"VENV={venv}"],  # noqa: S607
            cwd=project,
            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is in use" in result.stderr
    assert "Nothing was changed" in result.stderr
    assert not (project / ".env").exists()
    assert not (project / "db.sqlite3").exists()
    assert not (project / "var").exists()
