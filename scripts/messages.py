"""The translation catalogues: extract (``make messages``), compile (``make compilemessages``), check.

Each reusable app ships its own catalogue inside the package (``<app>/locale/<lang>/LC_MESSAGES/``,
so it is translated when pip-installed); the demo project's strings (``templates/``, ``accounts``,
``activity``, ``beerlocker``, ``ops``) are in ``locale/``. ``makemessages`` runs once per catalogue:
in an app's directory without the project's settings (so nothing of it lands in ``locale/``), and
from the checkout's root for the project, ignoring the apps.

    python -m scripts.messages make [ROOT]      # makemessages for every catalogue, every language
    python -m scripts.messages compile [ROOT]   # compilemessages for every catalogue

``tests/test_translations.py`` runs ``make`` on a copy of the checkout and fails when it would add
a message, and checks every catalogue is complete and compiled.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LANGUAGES = ["de", "fr"]  # every language of settings.LANGUAGES but English, the source language
APPS = ["beerlocker_api", "lockers", "oauthclients", "socialaccounts"]
# The project's own strings. makemessages's --ignore matches a directory's name at any depth (it
# would drop templates/lockers/ with lockers/), so the project is extracted from a folder that links
# these and nothing else.
PROJECT_DIRS = ["templates", "accounts", "personaltokens", "activity", "beerlocker", "ops"]


def catalogue_dirs(root: Path = BASE_DIR) -> list[Path]:
    """Every ``locale/`` directory, the project's first."""
    return [root / "locale", *(root / app / "locale" for app in APPS)]


def _django_admin(args: list[str], *, cwd: Path) -> None:
    # No settings: makemessages then writes to ./locale only (with the project's settings it would
    # send an app's strings to LOCALE_PATHS), and compilemessages needs none.
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    command = [sys.executable, "-m", "django", *args]
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def make(root: Path = BASE_DIR) -> None:
    """``makemessages`` for every catalogue and language: new strings added, gone ones dropped."""
    options = ["--no-obsolete", "--add-location=file", "--no-wrap"]
    languages = [f"--locale={language}" for language in LANGUAGES]
    for app in APPS:
        (root / app / "locale").mkdir(exist_ok=True)
        _django_admin(["makemessages", *languages, *options], cwd=root / app)
    (root / "locale").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as staging:
        stage = Path(staging)
        for name in PROJECT_DIRS:
            (stage / name).symlink_to(root / name, target_is_directory=True)
        shutil.copytree(root / "locale", stage / "locale")
        _django_admin(["makemessages", *languages, *options, "--symlinks"], cwd=stage)
        shutil.copytree(stage / "locale", root / "locale", dirs_exist_ok=True)


def compile_all(root: Path = BASE_DIR) -> None:
    """``compilemessages`` for every catalogue (the .mo files are committed: no gettext needed to run)."""
    for directory in catalogue_dirs(root):
        _django_admin(["compilemessages"], cwd=directory.parent)


if __name__ == "__main__":
    action, *rest = sys.argv[1:] or ["make"]
    target = Path(rest[0]).resolve() if rest else BASE_DIR
    {"make": make, "compile": compile_all}[action](target)
