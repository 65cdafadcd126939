"""The package map in oauthclients/oauth2/__init__.py names every module of the server, and only those."""

import re
from pathlib import Path

import oauthclients.oauth2

PACKAGE = Path(oauthclients.oauth2.__file__).parent
ENTRY = re.compile(r"^(?P<path>[a-z_]+/(?:[a-z_]+\.py)?|[a-z_]+\.py)\s{2,}\S")


def map_entries() -> list[str]:
    return [m["path"] for line in oauthclients.oauth2.__doc__.splitlines() if (m := ENTRY.match(line))]


def tree_entries() -> set[str]:
    entries = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "__init__.py":
            continue
        entries.add(relative.removesuffix("__init__.py"))  # a subpackage is named by its folder
    return entries


def test_every_module_is_on_the_map_once():
    entries = map_entries()
    assert len(entries) == len(set(entries)), "a module is listed twice"
    assert set(entries) == tree_entries()


def test_each_subpackage_says_what_it_groups():
    for init in PACKAGE.glob("*/__init__.py"):
        assert init.read_text().strip().startswith('"""'), f"{init} has no docstring"
