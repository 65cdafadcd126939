"""Zero templates to write: every page the reusable apps render answers from the apps' own
templates in a project with no templates/ directory (tests/standalone/pages_project.py).

A separate pytest process, because a settings module (INSTALLED_APPS, TEMPLATES, URLs) is fixed
for the life of a process; ``--confcutdir`` keeps this suite's conftest (the whole project) out.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_page_renders_from_the_apps_own_templates():
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--ds=tests.standalone.pages_settings",
            "--confcutdir=tests/standalone",
            "tests/standalone/pages_project.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "11 passed" in result.stdout
