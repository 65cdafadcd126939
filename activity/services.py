"""Recording, mailing and pruning security events. Receivers (``activity.receivers``) call these."""

import json
import logging
import re

from django.db import transaction

from activity import conf
from activity.context import origin
from activity.models import Event, Kind

log = logging.getLogger("beerlocker.activity")

# Details are facts (a client's id and name, a provider, a method, a reason), never credentials.
# A key that names one is refused, so a careless receiver cannot put a secret in the log.
SECRET_KEY_NAMES = re.compile(r"pass|secret|token|code|cookie|credential|key|hash", re.IGNORECASE)


def _safe(details: dict) -> dict:
    refused = sorted(key for key in details if SECRET_KEY_NAMES.search(key))
    if refused:
        raise ValueError(f"Activity details may not carry {refused}: they could hold a secret.")
    return {key: value for key, value in details.items() if value not in (None, "")}


# No transaction of its own: one INSERT is atomic by itself, and a transaction (or, inside the
# caller's, a savepoint) around it would only add statements to every request that records one.
def event_record(*, kind: Kind, user=None, **details) -> Event:
    """Record one event with the current request's address and User-Agent, and write it as one
    JSON log line (logger ``beerlocker.activity``) for an external log system."""
    ip, agent = origin()
    event = Event.objects.create(
        kind=Kind(kind),
        user=user if user is not None and user.pk else None,
        ip=ip,
        user_agent=agent,
        details=_safe(details),
    )
    log.info(
        json.dumps(
            {
                "event": event.kind,
                "time": event.created.isoformat(),
                "user": event.user_id,
                "ip": ip,
                "user_agent": agent,
                "details": event.details,
            },
            sort_keys=True,
            default=str,
        )
    )
    return event


@transaction.atomic
def events_prune(*, days: int | None = None) -> int:
    """Delete events older than ``days`` (default ``ACTIVITY["RETENTION_DAYS"]``); returns how many."""
    days = conf.get("RETENTION_DAYS") if days is None else days
    deleted, _ = Event.objects.older_than(days).delete()
    return deleted
