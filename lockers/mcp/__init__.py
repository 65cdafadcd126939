"""The locker as a Model Context Protocol server: an AI assistant's tools over streamable HTTP.

Optional (``pip install django-beerlocker[mcp]``, the official MCP Python SDK); a project that wants
it includes ``lockers.mcp.urls`` at its site root (``/mcp`` and its RFC 9728 metadata at
``/.well-known/oauth-protected-resource/mcp``). The modules:

    tools.py    the MCP server and its tools: list_beers, add_beer, drink_beer, through lockers.services
    bridge.py   runs the SDK's ASGI app (stateless, JSON responses) for one Django request
    views.py    /mcp (bearer tokens bound to it, per-tool scopes) and its protected-resource metadata
    urls.py     both routes
"""
