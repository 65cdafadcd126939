"""gunicorn settings for Beer Locker (read by ``make serve`` and by ``gunicorn`` run from the repo root).

Every value can be overridden on the command line or in GUNICORN_CMD_ARGS; the ones below come from
the environment so that a container or a unit file only sets variables.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

wsgi_app = "beerlocker.wsgi:application"

# Behind a proxy on the same host by default; HOST/PORT as for `make run`.
bind = [
    os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
]


def _cores() -> int:
    # The CPUs this process may use (a container's limit), not the host's count.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


# Pre-fork sync workers: Django's ORM is synchronous, and a sync worker is one request at a time
# with no thread-safety questions. 2 x cores + 1 keeps the CPUs busy while some workers wait on
# PostgreSQL; WEB_CONCURRENCY (the usual name, Heroku's and gunicorn's own) overrides.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * _cores() + 1))
worker_class = "sync"
# Sync workers must sit behind a buffering proxy (nginx): a slow client then costs the proxy, not a worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5

# The request log is Django's (ops.middleware: one line per request, no query strings, request id);
# gunicorn's access log would be a second line per request and would print query strings (codes).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Trust X-Forwarded-* only from the proxy on this host (gunicorn's default made explicit).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# DJANGO_LOG_FORMAT=json: gunicorn's own lines (start, worker boot, timeouts) as JSON lines too,
# so the whole stream parses.
if os.environ.get("DJANGO_LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "ops.logformat.JsonFormatter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False}
        },
    }

# gunicorn 25+'s control socket sits at one path per user ($HOME/.gunicorn/gunicorn.ctl): several
# instances on one host would fight over it, and nothing here uses it.
control_socket_disable = True


def _refuse_development_settings():
    """on_starting: refuse to start (before binding) with development or missing production settings.

    The check runs in a child process: importing Django into the master would make every worker
    inherit it and a HUP reload keep the old code. It costs one `check --deploy` (about 1.5 s).
    """
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "ops.production"], cwd=Path(__file__).resolve().parent, check=False
    )
    if done.returncode:
        # gunicorn prints a RuntimeError as "Error: ..." and exits 1.
        raise RuntimeError("refusing to start: the production settings above are wrong (docs/deploying.md)")


# --- Prometheus metrics across workers (ops/metrics.py, ops/scrape.py) ------------------------------
# prometheus-client's multiprocess mode: each worker writes its values to files in this directory
# and /metrics adds them up, so a scrape answered by any worker counts every worker's requests. Set
# in the master when it starts, before any worker is forked (workers import the app, and with it
# prometheus-client, after the fork). An operator's PROMETHEUS_MULTIPROC_DIR is emptied (values of a
# previous run would be added in); without one, a new temporary directory, removed at exit. A
# reload (HUP) keeps the directory: on_starting runs once per master.
_MADE_HERE = "BEERLOCKER_METRICS_DIR_MADE"  # set by on_starting, not configuration


def on_starting(server):
    _refuse_development_settings()
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="beerlocker-metrics-")
        os.environ[_MADE_HERE] = "1"
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    # The dead worker's live gauges go; its counters stay in the sums (prometheus-client's rule).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ.get(_MADE_HERE):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
