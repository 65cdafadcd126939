"""django-axes' cache handler (``AXES_HANDLER``), asking the cache once per check.

axes 8's ``AxesCacheHandler.get_failures`` reads one counter per lockout parameter (the account or
client, and the address) with one cache ``get`` each: with Redis, two round trips before every
password, and before every client secret the token, introspection and revocation endpoints
verify. ``get_failures`` is part of axes' handler interface; this one reads the same keys with one
``get_many``. Only imported through the setting, so a project without django-axes never loads it.
"""

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_client_cache_keys


class CacheHandler(AxesCacheHandler):
    def get_failures(self, request, credentials=None) -> int:
        counts = self.cache.get_many(get_client_cache_keys(request, credentials))
        return max(counts.values(), default=0)
