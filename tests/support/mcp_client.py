"""The official MCP Python SDK's client (streamable HTTP + its OAuth support) against a live server,
starting from nothing but the server's ``/mcp`` URL.

The SDK is async; the person who signs in and presses Allow is driven from the test's own thread
(Playwright's sync API holds that thread's event loop, and a ``requests`` session needs none). So
the client runs in a thread of its own, and its redirect handler hands the authorization URL to
the test, which answers with where the server redirected the browser (the code, state and iss).
"""

import queue
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
from mcp import ClientSession
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

# Where the consent sends the code: a loopback URI of the assistant's (RFC 8252); nothing listens,
# the browser's redirect is read, never followed.
CALLBACK = "http://127.0.0.1:9/mcp-callback"
DEADLINE = 60  # seconds the whole client run may take


class MemoryStorage(TokenStorage):
    """What an assistant remembers between runs: its registration and its tokens."""

    def __init__(self):
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


@dataclass
class McpRun:
    """What the client saw: the authorization URL it opened, the tool results, the storage."""

    authorization_url: str | None = None
    results: dict = field(default_factory=dict)
    storage: MemoryStorage = field(default_factory=MemoryStorage)


def run_assistant(server_url, consent, *, client_metadata_url=None, client_name="Locker Assistant"):
    """Connect the SDK's client to ``server_url``; ``consent(authorization_url)`` (in this thread)
    signs in, presses Allow and returns the redirect's URL. The client then lists the tools, adds a
    beer and lists the beers; returns an ``McpRun``. Raises what the client raised."""
    run = McpRun()
    urls: queue.Queue = queue.Queue()
    redirects: queue.Queue = queue.Queue()
    failure: list[BaseException] = []

    async def redirect_handler(url):
        run.authorization_url = url
        urls.put(url)

    async def callback_handler():
        location = await anyio.to_thread.run_sync(lambda: redirects.get(timeout=DEADLINE))
        params = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
        if "code" not in params:
            raise AssertionError(f"The server answered the consent with {location}")
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))

    auth = OAuthClientProvider(
        server_url=server_url,
        client_metadata=OAuthClientMetadata(
            client_name=client_name,
            redirect_uris=[CALLBACK],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=run.storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
        client_metadata_url=client_metadata_url,
    )

    async def assistant():
        with anyio.fail_after(DEADLINE):
            async with (
                httpx2.AsyncClient(auth=auth, timeout=10) as http,
                streamable_http_client(server_url, http_client=http) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                run.results["tools"] = sorted(tool.name for tool in (await session.list_tools()).tools)
                run.results["added"] = await session.call_tool(
                    "add_beer", {"name": "Hazy Assistant", "type": "IPA", "quantity": 2}
                )
                run.results["listed"] = await session.call_tool("list_beers", {})

    def target():
        try:
            anyio.run(assistant)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread, re-raised there
            failure.append(error)
            urls.put(None)

    thread = threading.Thread(target=target, name="mcp-assistant", daemon=True)
    thread.start()
    url = urls.get(timeout=DEADLINE)
    if url is not None:
        redirects.put(consent(url))
    thread.join(DEADLINE)
    assert not thread.is_alive(), "the MCP client did not finish in time"
    if failure:
        raise failure[0]
    return run
