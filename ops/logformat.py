"""Log formatters: plain text for people, JSON lines (``DJANGO_LOG_FORMAT=json``) for log pipelines."""

import json
import logging
import logging.config
from datetime import UTC, datetime

# Fields the request log adds with ``extra=``; copied into the JSON object when present.
_EXTRA_FIELDS = ("http_method", "path", "status", "duration_ms")


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message``: one line per event."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and the request fields."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({name: getattr(record, name) for name in _EXTRA_FIELDS if hasattr(record, name)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class NoQueryString(logging.Filter):
    """On ``django.server`` (runserver's line per request): the request line without its query
    string, which can carry an authorization code, a state or a token. The production request log
    (``ops.requests``) never writes one; this keeps the development server to the same rule."""

    def filter(self, record):
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            method, space, rest = record.args[0].partition(" ")
            target, blank, protocol = rest.partition(" ")
            if "?" in target:
                line = f"{method}{space}{target.split('?', 1)[0]}{blank}{protocol}"
                record.args = (line, *record.args[1:])
        return True


def configure(config: dict) -> None:
    """LOGGING_CONFIG: Django's dictConfig, plus Python warnings routed through the same handler
    (as ``py.warnings`` records), so with JSON lines every line of the output is JSON."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
