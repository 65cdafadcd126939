"""What the lockers app keeps in the cache (shared by every instance: Redis in production).

- The number of beers in a locker, for the API's page ``count`` (``beerlocker_api.pagination``), stored with
  the locker's version: every beer saved for the first time, moved to another owner or deleted
  (through the services, the admin, a cascade: Django's model signals) moves the version once the
  transaction commits, so no instance ever serves a count from before it. Even a stale count
  (a per-process cache without Redis, a write around the ORM) never hides a beer: the paginator
  reads its rows without it. A count costs one cache round trip instead of a
  ``COUNT`` per page; rows written around the ORM (raw SQL, ``bulk_create``) are seen when the
  entry expires (``COUNT_CACHE_SECONDS``).
- The site-wide totals of ``GET /api/stats``, recomputed at most every ``STATS_CACHE_SECONDS``.
"""

import time

from django.core.cache import cache
from django.db import transaction

STATS_KEY = "lockers:stats"
# How long a locker's stored count lives when nothing changes the locker: the bound on how stale
# it can be after rows written around the ORM.
COUNT_CACHE_SECONDS = 300


def _version_key(owner_id):
    return f"lockers:beers:version:{owner_id}"


def _count_key(owner_id):
    return f"lockers:beers:count:{owner_id}"


def beer_count_keys(owner_id) -> list[str]:
    """The cache entries ``beer_count`` reads first (for a caller that fetches them early)."""
    return [_version_key(owner_id), _count_key(owner_id)]


def beer_count(owner_id, count, *, reads=None) -> int:
    """The number of beers in ``owner_id``'s whole locker: from the cache when it was stored at the
    locker's current version, else ``count()``, stored for the next caller. ``reads``: where the
    entries were fetched already (anything with the cache's ``get_many``), else the cache."""
    version_key, count_key = beer_count_keys(owner_id)
    found = (reads or cache).get_many([version_key, count_key])
    version = found.get(version_key)
    if version is None:
        # Never set, or evicted: a value no earlier version had, so no stored count matches it.
        cache.add(version_key, time.time_ns(), timeout=None)
        version = cache.get(version_key)
    stored = found.get(count_key)
    if stored is not None and version is not None and stored[0] == version:
        return stored[1]
    number = count()
    if version is not None:
        cache.set(count_key, (version, number), COUNT_CACHE_SECONDS)
    return number


def locker_changed(owner_id) -> None:
    """Beers were added to or removed from ``owner_id``'s locker: its stored count is stale. The
    version moves now (a count stored from here on is one the change may not be in yet: it is
    for a version that moves again) and again once the transaction commits."""
    _bump(owner_id)
    transaction.on_commit(lambda: _bump(owner_id))


def beer_saved(sender, instance, created, raw=False, **kwargs):
    """``post_save`` of a beer: a new one changes its locker's count, and so does one that moved
    to another owner (the admin can do that): both lockers'. Other updates do not."""
    if raw:
        return
    if created:
        locker_changed(instance.owner_id)
        return
    before = getattr(instance, "_loaded_owner_id", None)
    if before is not None and before != instance.owner_id:
        locker_changed(before)
        locker_changed(instance.owner_id)
    instance._loaded_owner_id = instance.owner_id


def beer_deleted(sender, instance, **kwargs):
    """``post_delete`` of a beer, however it was deleted (a service, the admin, a cascade)."""
    locker_changed(instance.owner_id)


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
