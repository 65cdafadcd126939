"""Grant-type names are spelled out in oauthclients/grants.py only; everything else imports them."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ["beerlocker_api", "accounts", "beerlocker", "lockers", "oauthclients", "socialaccounts"]
# Names no other string in the product shares ("password" is also a form field and
# "refresh_token" a token response member, so neither is listed).
GRANT_LITERAL = re.compile(
    r"""["'](authorization_code|client_credentials|implicit|"""
    r"""urn:ietf:params:oauth:grant-type:[a-z_-]+)["']"""
)


def test_grant_type_names_are_literals_in_the_vocabulary_module_only():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in PRODUCT
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts and path != ROOT / "oauthclients" / "grants.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if GRANT_LITERAL.search(line)
    ]
    assert found == []
