"""``/metrics``: the Prometheus scrape, for the operator only.

Off unless configured (a 404, as for any unknown path): ``METRICS_TOKEN`` asks for
``Authorization: Bearer <token>`` (compared in constant time; 401 otherwise) and
``METRICS_ALLOWED_NETWORKS`` (CIDR) admits only scrapers whose address is inside one of them (404
otherwise, so the endpoint's existence is not told to the outside). With both, both must hold.
The address is ``beerlocker_api.limits.client_ip``'s (``DJANGO_TRUSTED_PROXY_COUNT`` behind a proxy).

Answered by ``HealthCheckMiddleware`` ahead of host validation, the HTTPS redirect and the request
log, as the probes are: a scraper reaches each instance by its address, over plain HTTP on the
private network, every few seconds. Under gunicorn the workers' values are added up from
``PROMETHEUS_MULTIPROC_DIR``; the logout outbox's gauges are read from the database at each scrape,
in one query.
"""

import hashlib
import hmac
import ipaddress
import os
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from beerlocker_api.limits import client_ip
from oauthclients.models import LogoutDelivery

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


@lru_cache(maxsize=4)
def _networks(values: tuple[str, ...]):
    try:
        return tuple(ipaddress.ip_network(value.strip()) for value in values)
    except ValueError as error:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {error}.") from None


def allowed_networks():
    """``METRICS_ALLOWED_NETWORKS`` parsed; ImproperlyConfigured for a bad entry."""
    return _networks(tuple(getattr(settings, "METRICS_ALLOWED_NETWORKS", ()) or ()))


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _token_ok(request, token: str) -> bool:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    # Digests of equal length: compare_digest's time then depends on neither value's length.
    return scheme.lower() == "bearer" and hmac.compare_digest(_digest(presented.strip()), _digest(token))


def _address_ok(request, networks) -> bool:
    try:
        address = ipaddress.ip_address(client_ip(request) or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


class LogoutDeliveryCollector:
    """The back-channel logout outbox: pending and failed deliveries, one GROUP BY per scrape."""

    def collect(self):
        family = GaugeMetricFamily(
            "beerlocker_logout_deliveries",
            "Back-channel logout deliveries waiting to be sent (pending) or given up on (failed, kept "
            "for LOGOUT_DELIVERY_RETENTION_DAYS).",
            labels=["status"],
        )
        wanted = (LogoutDelivery.Status.PENDING, LogoutDelivery.Status.FAILED)
        counts = dict.fromkeys(wanted, 0)
        rows = LogoutDelivery.objects.filter(status__in=wanted).values("status").annotate(n=Count("id"))
        counts.update({row["status"]: row["n"] for row in rows})
        for status, count in counts.items():
            family.add_metric([str(status)], count)
        yield family


class _ThisProcess:
    """This process's own metrics (no multiprocess directory: runserver, the tests)."""

    def collect(self):
        yield from REGISTRY.collect()


def exposition() -> bytes:
    """The metrics in Prometheus' text format: every worker's, added up, and the database gauges."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_DIR):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(LogoutDeliveryCollector())
    return generate_latest(registry)


@never_cache
@require_safe
def metrics(request):
    """The scrape for the operator: 404 when off or outside the allow-list, 401 without the token."""
    token = getattr(settings, "METRICS_TOKEN", "")
    networks = allowed_networks()
    if not token and not networks:
        return HttpResponseNotFound("Not Found", content_type="text/plain")
    if networks and not _address_ok(request, networks):
        return HttpResponseNotFound("Not Found", content_type="text/plain")
    if token and not _token_ok(request, token):
        response = HttpResponse("A bearer token is required.", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
