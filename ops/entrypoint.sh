#!/bin/sh
# The container's entry point (Dockerfile, compose.yaml) and the systemd units' command
# (ops/systemd/): one script, run on the host by tests/production/test_entrypoint.py.
#
#   entrypoint.sh web [gunicorn options]   check the settings, migrate (one replica at a time), serve
#   entrypoint.sh migrate                  check the settings, migrate (a one-off deploy step)
#   entrypoint.sh worker [options]         check the settings, run the back-channel logout worker
#   entrypoint.sh jobs [--every SECONDS]   check the settings, run the scheduled jobs once (or every N s)
#   entrypoint.sh manage COMMAND ...       any manage.py command (createsuperuser, ...)
#
# Every subcommand but `manage` refuses development or missing production settings first
# (python -m ops.production: the list is in docs/deploying.md). PYTHON names the interpreter
# (default: python on PATH, the image's virtualenv).
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"

# The daily jobs of docs/deploying.md, in this order; each runs even when one before it failed.
JOBS="cleartokens pruneredemptions clearsessions pruneactivity prunelogoutdeliveries"

run_jobs() {
    failed=""
    for job in $JOBS; do
        "$PYTHON" manage.py "$job" || failed="$failed $job"
    done
    if [ -n "$failed" ]; then
        echo "entrypoint jobs: failed:$failed" >&2
        return 1
    fi
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
    web)
        "$PYTHON" -m ops.production
        "$PYTHON" manage.py migrateonce --verbosity 1
        # gunicorn.conf.py checks the settings again before it binds (the same check).
        exec "$PYTHON" -m gunicorn --config gunicorn.conf.py "$@"
        ;;
    migrate)
        "$PYTHON" -m ops.production
        exec "$PYTHON" manage.py migrateonce "$@"
        ;;
    worker)
        "$PYTHON" -m ops.production
        exec "$PYTHON" manage.py logoutworker "$@"
        ;;
    jobs)
        "$PYTHON" -m ops.production
        if [ "${1:-}" = "--every" ]; then
            interval="${2:?--every needs a number of seconds}"
            # A container's long-lived scheduler: SIGTERM stops it between jobs or while it sleeps.
            trap 'exit 0' TERM INT
            while :; do
                run_jobs || true  # logged; the next round tries again
                sleep "$interval" &
                wait $!
            done
        fi
        run_jobs
        ;;
    manage)
        exec "$PYTHON" manage.py "$@"
        ;;
    *)
        echo "usage: $0 web|migrate|worker|jobs [--every SECONDS]|manage COMMAND ..." >&2
        exit 64
        ;;
esac
