"""One Django request through the MCP SDK's ASGI app, and its answer back as a Django response.

Why a view and not an ASGI mount: production runs gunicorn's sync (WSGI) workers and development
runs ``runserver``; both serve the project's Django handler, and so do pytest-django's live server
and the test client. Serving MCP from a view keeps every request to ``/mcp`` inside Django (its
middleware, logging, limits, ``ALLOWED_HOSTS``, the database connection of the request's thread)
with nothing to start or stop per worker. That works because the SDK's streamable HTTP transport
has a stateless mode with JSON responses: one POST is one complete exchange (no session to keep,
no stream left open), which ``asgiref.async_to_sync`` (Django's own bridge) runs to completion
inside the view. An ASGI mount (a2wsgi in wsgi.py) would need a per-process event-loop thread,
would bypass Django's middleware and the live server, and still could not touch the ORM from the
loop.

Written against mcp 2.3: ``MCPServer.streamable_http_app(stateless_http=True, json_response=True)``
and its Starlette lifespan (which runs the SDK's session manager; a manager runs once, so each
request gets its own app). tests/lockers/test_mcp.py fails if either stops answering one POST.
"""

from typing import Any

from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponse
from mcp.server.transport_security import TransportSecuritySettings

from lockers.mcp.tools import current_user, server

# Headers Django sets itself on the response it sends.
_HOP_HEADERS = {b"content-length", b"transfer-encoding", b"connection"}


def _scope(request: HttpRequest) -> dict[str, Any]:
    """The ASGI HTTP scope of a Django request (its host already checked against ALLOWED_HOSTS)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.path.encode(),
        "root_path": "",
        "query_string": request.META.get("QUERY_STRING", "").encode("latin-1"),
        # Django's test client sends no Host header (it sets SERVER_NAME): the host Django checked.
        "headers": [(b"host", request.get_host().encode("latin-1"))]
        + [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in request.headers.items()
            if name.lower() != "host"
        ],
        "server": (request.META.get("SERVER_NAME", ""), int(request.get_port() or 0)),
        "client": (request.META.get("REMOTE_ADDR", ""), 0),
    }


def _security(request: HttpRequest) -> TransportSecuritySettings:
    """The SDK's DNS-rebinding guard, for this site: its own host, and a browser's Origin only when
    it is this site's (an assistant's HTTP client sends none)."""
    host = request.get_host()
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[host],
        allowed_origins=[f"{request.scheme}://{host}"],
    )


async def _serve(request: HttpRequest, body: bytes, user) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    current_user.set(user)
    app = server.streamable_http_app(
        streamable_http_path=request.path,
        stateless_http=True,
        json_response=True,
        transport_security=_security(request),
    )
    started: dict[str, Any] = {}
    chunks: list[bytes] = []
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    async with app.router.lifespan_context(app):
        await app(_scope(request), receive, send)
    return started["status"], list(started.get("headers", [])), b"".join(chunks)


def respond(request: HttpRequest, *, user) -> HttpResponse:
    """The SDK's answer to ``request`` (an MCP POST), its tools acting for ``user``."""
    # Read before the event loop starts: the body is read from the WSGI input on this thread.
    status, headers, body = async_to_sync(_serve)(request, request.body, user)
    response = HttpResponse(body, status=status)
    for name, value in headers:
        if name.lower() not in _HOP_HEADERS:
            response[name.decode("latin-1")] = value.decode("latin-1")
    return response
