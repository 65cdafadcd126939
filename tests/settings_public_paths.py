"""Test settings with the speed-only layers off: DOT's and the ORM's public paths
(scripts/ci/prerelease.sh runs the suite with these as well as with tests.settings)."""

from tests.settings import *  # noqa: F403

OAUTHCLIENTS = {**OAUTHCLIENTS, "FAST_PATHS": False}  # noqa: F405
BEERLOCKER_API = {**globals().get("BEERLOCKER_API", {}), "COMPILED_LOOKUPS": False}
