"""Prometheus metrics: what the site counts, the middleware that times requests, and the receivers
that turn the apps' signals into counts. The scrape itself is ``ops.scrape``.

Every label has a bounded set of values, so no client can grow the series without limit: the route
is the resolved URL pattern's name (never the raw path), methods and OAuth error codes outside the
known ones are ``other``, and a process labels at most ``METRICS_CLIENT_LABEL_LIMIT`` client ids
(anyone may register clients when dynamic registration is open) before counting the rest as
``other``. The reusable apps know nothing of Prometheus: they send signals, ``connect()`` listens.

Under gunicorn, prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by
gunicorn.conf.py before any worker imports this module) keeps each worker's values in a file, and
the scrape adds them up; without it (runserver, the tests) the values live in this process.
"""

import json
import time
from urllib.parse import parse_qs, urlsplit

from axes.signals import user_locked_out
from django.conf import settings
from django.db.models.signals import post_save
from oauth2_provider.signals import app_authorized
from prometheus_client import Counter, Histogram

from activity.models import Event, Kind
from beerlocker_api.signals import rate_limited
from oauthclients import signals as clients
from oauthclients.grants import GrantType

OTHER = "other"

REQUESTS = Counter(
    "beerlocker_http_requests",
    "Requests answered, by route (URL pattern name), method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "beerlocker_http_request_duration_seconds",
    "Time from the request entering the middleware stack to its response, by route and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TOKENS_ISSUED = Counter(
    "beerlocker_oauth_tokens_issued",
    "Access tokens issued at the token endpoint, by grant type and client id.",
    ["grant", "client_id"],
)
OAUTH_ERRORS = Counter(
    "beerlocker_oauth_errors",
    "OAuth error responses (RFC 6749 error codes), by endpoint and error.",
    ["endpoint", "error"],
)
SIGN_INS = Counter(
    "beerlocker_sign_ins",
    "Sign-ins (pages, admin, password and token-exchange grants), by method and outcome.",
    ["method", "outcome"],
)
LOCKOUTS = Counter("beerlocker_lockouts", "Sign-ins locked out after too many failures (django-axes).")
RATE_LIMITED = Counter("beerlocker_rate_limited", "Requests refused for their rate, by limit.", ["limit"])
OUTBOUND_REFUSED = Counter(
    "beerlocker_outbound_refused",
    "Requests to client-registered URLs turned away (non-public address, deadline, no free slot).",
    ["reason"],
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The error codes the OAuth endpoints answer with: RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1,
# RFC 7009 §2.2.1, RFC 7591 §3.2.2, RFC 8693, OpenID Connect Core §3.1.2.6.
OAUTH_ERROR_CODES = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "access_denied",
        "unsupported_response_type",
        "server_error",
        "temporarily_unavailable",
        "invalid_token",
        "insufficient_scope",
        "unsupported_token_type",
        "invalid_redirect_uri",
        "invalid_client_metadata",
        "invalid_software_statement",
        "unapproved_software_statement",
        "invalid_target",
        "interaction_required",
        "login_required",
        "account_selection_required",
        "consent_required",
        "invalid_request_uri",
        "invalid_request_object",
        "request_not_supported",
        "request_uri_not_supported",
        "registration_not_supported",
    }
)
# The OAuth endpoints are DOT's URL namespace (oauthclients.oauth2.urls).
OAUTH_NAMESPACE = "oauth2_provider"
GRANTS = frozenset(GrantType.values)
SIGN_IN_METHODS = frozenset({"password", "provider", "token_exchange"})
# A JSON error body is small; a larger one is not an OAuth error and is not parsed.
_MAX_ERROR_BODY = 4096

_labelled_clients: set[str] = set()


def client_label(client_id: str) -> str:
    """``client_id`` until this process labelled ``METRICS_CLIENT_LABEL_LIMIT`` ids; then ``other``."""
    if client_id in _labelled_clients:
        return client_id
    if len(_labelled_clients) < getattr(settings, "METRICS_CLIENT_LABEL_LIMIT", 100):
        _labelled_clients.add(client_id)
        return client_id
    return OTHER


def route_of(request) -> str:
    """The URL pattern's name (``namespace:name``, or the view's dotted path when it has none);
    ``unmatched`` for a request no pattern resolved (a 404, a redirect before resolution)."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else "unmatched"


def oauth_error_of(response) -> str | None:
    """The RFC 6749 ``error`` an OAuth endpoint answered with: in a JSON body, or in the query or
    fragment of a redirect back to the client; None when the response is no error."""
    if 300 <= response.status_code < 400:
        location = urlsplit(response.get("Location", ""))
        params = parse_qs(location.query) or parse_qs(location.fragment)
        error = params.get("error", [None])[0]
    elif response.status_code >= 400 and response.get("Content-Type", "").startswith("application/json"):
        if getattr(response, "streaming", False) or len(response.content) > _MAX_ERROR_BODY:
            return None
        try:
            body = json.loads(response.content)
        except ValueError:
            return None
        error = body.get("error") if isinstance(body, dict) else None
    else:
        return None
    if not isinstance(error, str):
        return None
    return error if error in OAUTH_ERROR_CODES else OTHER


class MetricsMiddleware:
    """Times every request past the health probes and counts it by route, method and status; an
    OAuth endpoint's error response is also counted by its error code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_of(request)
        method = request.method if request.method in METHODS else OTHER
        LATENCY.labels(route, method).observe(elapsed)
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        match = getattr(request, "resolver_match", None)
        if match is not None and match.namespace == OAUTH_NAMESPACE:
            error = oauth_error_of(response)
            if error is not None:
                OAUTH_ERRORS.labels(match.url_name or OTHER, error).inc()
        return response


# --- Receivers: the apps' signals, counted -------------------------------------------------------


def token_issued(sender, request, token, **kwargs):
    grant = request.POST.get("grant_type", "")
    TOKENS_ISSUED.labels(grant if grant in GRANTS else OTHER, client_label(token.application.client_id)).inc()


def event_recorded(sender, instance, created, **kwargs):
    """Sign-ins as the activity log records them (one place decides a sign-in's method)."""
    if not created or instance.kind not in (Kind.SIGN_IN, Kind.SIGN_IN_FAILED):
        return
    method = instance.details.get("method")
    outcome = "success" if instance.kind == Kind.SIGN_IN else "failure"
    SIGN_INS.labels(method if method in SIGN_IN_METHODS else OTHER, outcome).inc()


def locked_out(sender, **kwargs):
    LOCKOUTS.inc()


def limited(sender, scope, **kwargs):
    # Limit names are the project's throttle scopes: a fixed set in code.
    RATE_LIMITED.labels(str(scope)).inc()


def outbound_refused(sender, reason, **kwargs):
    OUTBOUND_REFUSED.labels(reason if reason in clients.OUTBOUND_REFUSALS else OTHER).inc()


def connect():
    """Listens to the signals the counters follow (``OpsConfig.ready``), and starts the known
    series at 0 so a dashboard shows 0 rather than no data before the first event."""
    for reason in clients.OUTBOUND_REFUSALS:
        OUTBOUND_REFUSED.labels(reason)
    for method in SIGN_IN_METHODS:
        for outcome in ("success", "failure"):
            SIGN_INS.labels(method, outcome)
    app_authorized.connect(token_issued, dispatch_uid="ops.metrics.token_issued")
    post_save.connect(event_recorded, sender=Event, dispatch_uid="ops.metrics.event_recorded")
    user_locked_out.connect(locked_out, dispatch_uid="ops.metrics.locked_out")
    rate_limited.connect(limited, dispatch_uid="ops.metrics.limited")
    clients.outbound_refused.connect(outbound_refused, dispatch_uid="ops.metrics.outbound_refused")
