"""Health endpoints for load balancers and orchestrators: cheap, unauthenticated, never throttled.

``/healthz`` (liveness) says only that this process answers: it touches no database and no cache, so
a database outage does not get every instance restarted. ``/readyz`` (readiness) says whether this
instance can serve real requests: the database and the cache both answer. Plain Django views, not
DRF ones, so no authentication class, throttle or session is ever involved.

``HealthCheckMiddleware``, first in MIDDLEWARE, answers them (and the operator's ``/metrics``
scrape, ``ops.scrape``, which checks its own credentials) before anything else runs: before host
validation (a load balancer probes an instance by its address, which is rarely in ALLOWED_HOSTS;
nothing in these bodies depends on the host), sessions, CSRF or the request log.
"""

import logging

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger(__name__)

READY_KEY = "ops:readyz"


@never_cache
@require_safe
def healthz(request):
    """200 while the process can answer a request; no dependency is consulted."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # The class only: a driver's message may name hosts or users, never worth a log line here.
        log.warning("readyz: database unreachable (%s)", type(error).__name__)
        return False
    return True


def _cache_ok() -> bool:
    try:
        cache.get(READY_KEY)
    except Exception as error:  # noqa: BLE001 - every cache backend raises its own errors (redis, memcached)
        log.warning("readyz: cache unreachable (%s)", type(error).__name__)
        return False
    return True


@never_cache
@require_safe
def readyz(request):
    """200 when the database and the cache both answer; else 503 naming the ones that failed."""
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    failed = [name for name, ok in checks.items() if not ok]
    body = {
        "status": "unavailable" if failed else "ok",
        "checks": {name: "ok" if ok else "unavailable" for name, ok in checks.items()},
    }
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)


# The probes and their views; urls.py routes the same views (so they reverse as "healthz"/"readyz").
PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    """Serves the probes and the scrape ahead of every other middleware; everything else passes through."""

    def __init__(self, get_response):
        from ops import scrape

        self.get_response = get_response
        self.views = {**PROBES, "/metrics": scrape.metrics}

    def __call__(self, request):
        view = self.views.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)
