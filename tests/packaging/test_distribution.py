"""What `pip install django-beerlocker` puts on a machine: the wheel and sdist `python -m build`
makes from this checkout (built once, into a temporary directory).

Only the four packages of the reusable apps, each with its templates, static files, migrations,
management commands and template tags; nothing of the demo project; no server-only requirement
outside the extras; and installing it leaves an existing `api`, `accounts`, `ops`, `activity` alone.
"""

import hashlib
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import beerlocker_api

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"beerlocker_api", "lockers", "oauthclients", "socialaccounts"}
APPS = ("lockers", "oauthclients", "socialaccounts")
PROJECT = (
    "beerlocker/",
    "accounts/",
    "personaltokens/",
    "activity/",
    "ops/",
    "tests/",
    "scripts/",
    "templates/",
    "static/",
)
SERVER_ONLY = {
    "gunicorn",
    "psycopg",
    "redis",
    "hiredis",
    "whitenoise",
    "django-environ",
    "django-csp",
    "ua-parser",
    "prometheus-client",
    "drf-spectacular",
    "drf-spectacular-sidecar",
    "django-axes",
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def dist(tmp_path_factory):
    """The sdist and the wheel built from it, as `make dist` builds them."""
    outdir = tmp_path_factory.mktemp("dist")
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "build", "--outdir", str(outdir), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = outdir.glob("*.whl")
    (sdist,) = outdir.glob("*.tar.gz")
    return wheel, sdist


@pytest.fixture(scope="session")
def wheel_names(dist):
    with zipfile.ZipFile(dist[0]) as wheel:
        return set(wheel.namelist())


@pytest.fixture(scope="session")
def sdist_names(dist):
    with tarfile.open(dist[1]) as sdist:
        # Without the top directory, django_beerlocker-<version>/.
        return {member.name.split("/", 1)[1] for member in sdist.getmembers() if member.isfile()}


def package_data_in_checkout():
    """Every file the apps need besides their modules: templates/, static/, migrations/,
    management commands, template tags and translations (locale/: .po and compiled .mo), as paths
    relative to the checkout."""
    files = set()
    for app in (*APPS, "beerlocker_api"):
        for folder in ("templates", "static", "migrations", "management", "templatetags", "locale"):
            files |= {
                path.relative_to(ROOT).as_posix()
                for path in (ROOT / app / folder).rglob("*")
                if path.is_file() and "__pycache__" not in path.parts
            }
    return files


def test_the_wheel_holds_exactly_the_four_packages_at_the_version_named_once(dist, wheel_names):
    top_level = {name.split("/")[0] for name in wheel_names if not name.split("/")[0].endswith(".dist-info")}

    assert top_level == PACKAGES
    assert dist[0].name == f"django_beerlocker-{beerlocker_api.__version__}-py3-none-any.whl"
    assert [name for name in wheel_names if name.startswith(PROJECT)] == []


def test_the_wheel_holds_every_template_static_file_and_migration(wheel_names):
    expected = package_data_in_checkout()

    assert {
        "oauthclients/templates/oauthclients/authorize.html",
        "oauthclients/static/oauthclients/form_post.js",
        "oauthclients/locale/de/LC_MESSAGES/django.mo",
        "lockers/locale/fr/LC_MESSAGES/django.po",
        "beerlocker_api/locale/de/LC_MESSAGES/django.mo",
    } <= expected
    assert expected - wheel_names == set()


def test_the_sdist_holds_the_same_packages_and_package_data(wheel_names, sdist_names):
    expected = package_data_in_checkout()

    assert expected - sdist_names == set()
    # The sdist's modules are the wheel's: nothing more of the checkout, tests included.
    packaged = {name for name in sdist_names if name.split("/")[0] in PACKAGES}
    assert packaged == {name for name in wheel_names if name.split("/")[0] in PACKAGES}
    assert [name for name in sdist_names if name.startswith(PROJECT)] == []


def test_no_server_only_requirement_outside_the_extras(dist):
    with zipfile.ZipFile(dist[0]) as wheel:
        (metadata,) = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
        fields = Parser().parsestr(wheel.read(metadata).decode())
    requirements = [Requirement(line) for line in fields.get_all("Requires-Dist")]

    required = {req.name.lower() for req in requirements if req.marker is None}
    server = {
        req.name.lower() for req in requirements if req.marker and req.marker.evaluate({"extra": "server"})
    }

    assert {"django", "djangorestframework", "django-oauth-toolkit", "social-auth-app-django"} <= required
    assert required & SERVER_ONLY == set()
    assert {"gunicorn", "psycopg", "redis", "whitenoise"} <= server  # `make run`'s, in the extra


def tree_digest(folder):
    """One digest of every file's path and bytes under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_installing_the_wheel_leaves_packages_named_api_accounts_ops_activity_alone(dist, tmp_path):
    site = tmp_path / "site-packages"
    for name in ("api", "accounts", "ops", "activity"):
        (site / name).mkdir(parents=True)
        (site / name / "__init__.py").write_text(f"# the integrator's own {name}\n")
        (site / name / "compiled.py").write_text("MARKER = True\n")
    before = {name: tree_digest(site / name) for name in ("api", "accounts", "ops", "activity")}

    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(dist[0])],
        check=True,
        capture_output=True,
        timeout=120,
    )

    assert {name: tree_digest(site / name) for name in before} == before
    installed = {path.name for path in site.iterdir() if not path.name.endswith(".dist-info")}
    assert installed == PACKAGES | set(before)
    assert (site / "oauthclients/templates/oauthclients/authorize.html").is_file()
