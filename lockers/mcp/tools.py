"""The MCP server: three tools over the caller's own locker, each a service or an owner-scoped read.

Tools are coroutines that hand the ORM to ``sync_to_async``: the bridge runs the SDK in an event loop
driven from the request's thread (``asgiref.async_to_sync``), and ``sync_to_async`` brings each
database call back to that thread, on the request's own connection and transaction.
"""

import contextvars
from typing import Any

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from lockers import conf, services
from lockers.models import Beer

# Which scopes a token needs for each tool: reading is LOCKERS["BEER_TOKEN_SCOPES"]["read"], the
# rest "write", as on the REST API (lockers.views). Checked before the SDK runs (lockers.mcp.views).
TOOL_KINDS = {"list_beers": "read", "add_beer": "write", "drink_beer": "write"}

# list_beers answers at most this many beers (the newest first), saying how many there are.
LIST_LIMIT = 100

# The user the request's access token acts for, set by the bridge for the request it serves.
current_user: contextvars.ContextVar[Any] = contextvars.ContextVar("lockers_mcp_user")

server = MCPServer(
    name="Beer Locker",
    instructions=(
        "The beers in the signed-in user's locker: list them, add one, or drink one (one bottle less; "
        "a beer at 0 stays in the locker until its owner restocks or removes it)."
    ),
)


def tool_scopes(name: str) -> list[str] | None:
    """The token scopes a call to tool ``name`` needs; None for a name that is not one of ours."""
    kind = TOOL_KINDS.get(name)
    return None if kind is None else conf.get("BEER_TOKEN_SCOPES").get(kind)


def _beer(beer: Beer) -> dict[str, Any]:
    return {"id": beer.pk, "name": beer.name, "type": beer.type, "quantity": beer.quantity}


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _list(user) -> dict[str, Any]:
    beers = Beer.objects.owned_by(user)
    page = [_beer(beer) for beer in beers[:LIST_LIMIT]]
    count = len(page) if len(page) < LIST_LIMIT else beers.count()
    return {"count": count, "beers": page}


def _add(user, name: str, type: str, quantity: int) -> dict[str, Any]:  # noqa: A002
    try:
        return _beer(services.beer_create(owner=user, name=name, type=type, quantity=quantity))
    except ValidationError as error:
        raise ToolError(_message(error)) from None


def _drink(user, beer_id: int) -> dict[str, Any]:
    beer = Beer.objects.owned_by(user).filter(pk=beer_id).first()
    if beer is None:
        raise ToolError(f"There is no beer {beer_id} in your locker.")
    try:
        return _beer(services.beer_drink(beer=beer))
    except ValidationError as error:
        raise ToolError(_message(error)) from None


@server.tool(title="List my beers")
async def list_beers() -> dict[str, Any]:
    """The beers in your locker, newest first (at most 100; count says how many there are)."""
    return await sync_to_async(_list)(current_user.get())


@server.tool(title="Add a beer")
async def add_beer(name: str, type: str = "", quantity: int = 1) -> dict[str, Any]:  # noqa: A002
    """Add a beer to your locker: its name, optionally its type (e.g. IPA) and how many bottles."""
    return await sync_to_async(_add)(current_user.get(), name, type, quantity)


@server.tool(title="Drink a beer")
async def drink_beer(beer_id: int) -> dict[str, Any]:
    """Take one bottle of a beer (by its id from list_beers); refused when none is left."""
    return await sync_to_async(_drink)(current_user.get(), beer_id)
