"""The translation catalogues are complete, compiled and up to date with the code.

`make check` runs this file: a string added to a template or to Python without a German and a
French translation fails here, as does a .po changed without `make compilemessages`.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from scripts import messages
from tests.support.i18n import BASE_DIR, catalogue_paths

LANGUAGES = messages.LANGUAGES
CATALOGUES = [path for language in LANGUAGES for path in catalogue_paths(language)]


def _name(path: Path) -> str:
    return str(path.relative_to(BASE_DIR))


def _msgids(path: Path) -> set[tuple[str, str, str]]:
    return {(e.msgctxt or "", e.msgid, e.msgid_plural or "") for e in polib.pofile(str(path))}


def test_every_language_but_english_has_every_catalogue():
    from django.conf import settings

    assert [code for code, _ in settings.LANGUAGES] == ["en", *LANGUAGES]
    for path in CATALOGUES:
        assert path.is_file(), f"{_name(path)} is missing: run make messages"
    # The same messages in every language of a catalogue.
    for german in catalogue_paths("de"):
        french = Path(str(german).replace("/de/", "/fr/"))
        assert _msgids(german) == _msgids(french), _name(german)


@pytest.mark.parametrize("path", CATALOGUES, ids=_name)
def test_catalogue_is_complete_and_not_fuzzy(path):
    catalogue = polib.pofile(str(path))

    assert not catalogue.metadata_is_fuzzy
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert [entry.msgid for entry in catalogue.obsolete_entries()] == []
    assert len(catalogue) > 0


@pytest.mark.parametrize("path", CATALOGUES, ids=_name)
def test_compiled_catalogue_matches_its_po(path):
    """The committed .mo holds exactly the .po's translations (`make compilemessages`)."""
    compiled = path.with_suffix(".mo")
    assert compiled.is_file(), f"{_name(compiled)} is missing: run make compilemessages"

    def translations(catalogue):
        return {
            (entry.msgctxt or "", entry.msgid): entry.msgstr or tuple(sorted(entry.msgstr_plural.items()))
            for entry in catalogue
            if entry.msgid
        }

    assert translations(polib.mofile(str(compiled))) == translations(polib.pofile(str(path)))


def _gettext_tools_missing() -> bool:
    return shutil.which("xgettext") is None or shutil.which("msgmerge") is None


@pytest.mark.slow
def test_makemessages_finds_no_new_message(tmp_path):
    """Every string marked for translation in the code is in the catalogues: `make messages` on a
    copy of the checkout adds no message and drops none."""
    if _gettext_tools_missing():
        if os.environ.get("CI"):
            pytest.fail("GNU gettext (xgettext, msgmerge) is missing: CI installs it (.ci/run)")
        pytest.skip("GNU gettext is not installed (apt-get install gettext); CI runs this check")
    copy = tmp_path / "checkout"
    for name in [*messages.APPS, *messages.PROJECT_DIRS, "locale"]:
        shutil.copytree(BASE_DIR / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    # scripts.messages from the checkout, run on the copy.
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "scripts.messages", "make", str(copy)], cwd=BASE_DIR, check=True
    )

    changed = {}
    for path in CATALOGUES:
        extracted = copy / path.relative_to(BASE_DIR)
        added, dropped = _msgids(extracted) - _msgids(path), _msgids(path) - _msgids(extracted)
        if added or dropped:
            changed[_name(path)] = {"added": sorted(added), "dropped": sorted(dropped)}
    assert changed == {}, "run make messages, translate the new messages, then make compilemessages"
