"""What the lockers app keeps in the cache (shared by every instance: Redis in production).

- The number of beers in a long locker, for the API's page ``count`` (``api.pagination``), under
  a key that carries the locker's version: every beer added or removed through the services moves
  the version once the transaction commits, so no instance ever serves a count from before it.
  Beers removed outside the services (an admin's bulk delete, a user's deletion) are seen when the
  entry expires (``api.pagination.COUNT_CACHE_SECONDS``).
- The site-wide totals of ``GET /api/stats``, recomputed at most every ``STATS_CACHE_SECONDS``.
"""

import time

from django.core.cache import cache
from django.db import transaction

STATS_KEY = "lockers:stats"


def _version_key(owner_id):
    return f"lockers:beers:version:{owner_id}"


def beer_count_key(owner_id) -> str:
    """The cache key of the number of beers in ``owner_id``'s whole locker, as of now."""
    version = cache.get(_version_key(owner_id), 0)
    return f"lockers:beers:count:{owner_id}:{version}"


def locker_changed(owner_id) -> None:
    """Beers were added to or removed from ``owner_id``'s locker: once committed, cached counts of
    it are stale."""
    transaction.on_commit(lambda: _bump(owner_id))


def _bump(owner_id):
    key = _version_key(owner_id)
    try:
        cache.incr(key)
    except ValueError:  # no version yet, or evicted: a value no earlier version can have had
        cache.set(key, time.time_ns(), timeout=None)


def stats(compute, *, seconds):
    """The site-wide totals: ``compute()``'s answer, at most ``seconds`` old."""
    if not seconds:
        return compute()
    totals = cache.get(STATS_KEY)
    if totals is None:
        totals = compute()
        cache.set(STATS_KEY, totals, seconds)
    return totals
