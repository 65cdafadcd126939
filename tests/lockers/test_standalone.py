"""lockers in a project of its own (issue 8): only lockers, DRF, django-filter and contrib apps,
HTTP Basic auth. A fresh pytest process, because settings cannot be swapped inside this one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Slow (a project of its own in a subprocess): skipped by make test-fast.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_lockers_runs_in_a_project_of_its_own():
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--noconftest",  # the main conftest imports DOT and the project's factories
            "-p",
            "no:cacheprovider",
            "--ds=tests.standalone.lockers_settings",
            "tests/standalone/lockers_project.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
