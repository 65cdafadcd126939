#!/usr/bin/env bash
# The prerelease leg (issue 18): the fast subset of the suite against the newest Django and
# django-oauth-toolkit, pre-releases included (DOT's latest release when it has no newer
# pre-release), twice: with the speed layers on, as shipped, and off (OAUTHCLIENTS["FAST_PATHS"]
# and BEERLOCKER_API["COMPILED_LOOKUPS"] False: DOT's and the ORM's public paths). It reports;
# .ci/run lets it fail. Both legs red: the upgrade needs work. Only "on" red: the speed layers need
# updating, and switching them off unblocks the upgrade meanwhile.
#
# PRERELEASE_PYTHON: the interpreter (default the newest python3.1x on PATH: Django 6 needs 3.12+).
# PRERELEASE_VENV (default .venv-prerelease) is its own virtualenv, never the project's .venv.
# PRERELEASE_PYTEST_ARGS narrows the run (default: the whole fast subset).
set -uo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PRERELEASE_PYTHON:-}
if [ -z "$PYTHON" ]; then
    # On PATH, or installed by pyenv without being on PATH; the first that runs.
    pyenv_root=$(pyenv root 2>/dev/null || true)
    for candidate in python3.14 python3.13 python3.12 \
        ${pyenv_root:+"$pyenv_root"/versions/3.14*/bin/python3} \
        ${pyenv_root:+"$pyenv_root"/versions/3.13*/bin/python3} \
        ${pyenv_root:+"$pyenv_root"/versions/3.12*/bin/python3} python3; do
        "$candidate" -c "" >/dev/null 2>&1 && { PYTHON=$candidate; break; }
    done
fi
VENV=${PRERELEASE_VENV:-.venv-prerelease}
ARGS=${PRERELEASE_PYTEST_ARGS:-}
LOGS=${PRERELEASE_LOGS:-test-artifacts/prerelease}
mkdir -p "$LOGS"

echo "--- prerelease: building $VENV with $PYTHON (pip's output in $LOGS/install.log)"
install() {
    "$PYTHON" -m venv --clear "$VENV" &&
        "$VENV/bin/python" -m pip install --upgrade pip &&
        "$VENV/bin/python" -m pip install -e ".[server,test]" &&
        # Over the project's upper pins on purpose (pip says so): what breaks is what this reports.
        "$VENV/bin/python" -m pip install --upgrade --pre django django-oauth-toolkit
}
if ! install >"$LOGS/install.log" 2>&1; then
    tail -n 20 "$LOGS/install.log"
    echo "prerelease: SETUP FAILED (could not install the pre-releases)"
    exit 2
fi
versions=$("$VENV/bin/python" -c 'import platform; from importlib.metadata import version as v
names = ("django", "django-oauth-toolkit", "oauthlib", "djangorestframework")
print(", ".join([f"python {platform.python_version()}"] + [f"{n} {v(n)}" for n in names]))')
echo "--- prerelease: $versions"

# Each leg: (name, extra pytest arguments). The "off" leg leaves out the tests that measure the
# speed layers themselves (marked fast_paths: query budgets met with them on).
leg() {
    local name=$1 log="$LOGS/$1.log"
    shift
    # shellcheck disable=SC2086  # ARGS is a list of pytest arguments
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@" $ARGS >"$log" 2>&1
    local rc=$?
    local tally
    tally=$(grep -E "^(=+ )?[0-9]+ (passed|failed|error)" "$log" | tail -n 1 | tr -d '=' | xargs)
    if [ $rc -eq 0 ]; then
        results+=("speed layers $name: PASS  ${tally:-no tally}")
    else
        results+=("speed layers $name: FAIL  ${tally:-exit $rc} (log: $log)")
        failed=1
        grep -E "^(FAILED|ERROR) " "$log" | head -n 20 | sed 's/^/    /' >"$log.failures"
    fi
}

results=()
failed=0
leg on -m "not browser and not slow"
leg off --ds=tests.settings_public_paths -m "not browser and not slow and not fast_paths"

echo "=== prerelease summary ($versions)"
for line in "${results[@]}"; do echo "$line"; done
for f in "$LOGS"/*.failures; do [ -s "$f" ] && { echo "  ${f%.failures}:"; cat "$f"; }; done
rm -f "$LOGS"/*.failures
exit $failed
