"""Request parsers every API shares."""

from collections.abc import Iterable
from typing import Any

from rest_framework import exceptions, parsers

# No API body is nested this deep; anything deeper is refused whatever the Python version decodes
# (3.11 raises RecursionError near 1,000 levels, 3.13 decodes far deeper), so the answer and the
# work a request can cause do not depend on the interpreter.
MAX_JSON_DEPTH = 32
TOO_DEEP = "JSON parse error - nested too deeply."


def too_deep(data, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``data`` (decoded JSON) nests lists and objects more than ``limit`` levels deep;
    iterative, so checking it never recurses."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; JSON nested more than ``MAX_JSON_DEPTH`` levels (``"[" * 2000``) is a
    400 like any other malformed JSON, never a RecursionError (a 500), even before authentication."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(TOO_DEEP) from exc
        if too_deep(data):
            raise exceptions.ParseError(TOO_DEEP)
        return data
