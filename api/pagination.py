from functools import partial

from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework import pagination

# Lists up to this long are counted exactly in SQL on every page (a count that stops after this
# many rows); longer ones ask the view for a count it keeps in the cache.
COUNT_BOUND = 1000
COUNT_CACHE_SECONDS = 300


class BoundedCountPaginator(Paginator):
    """Django's paginator whose ``count`` never scans a long list on every request.

    It counts at most ``COUNT_BOUND + 1`` rows (``SELECT COUNT(*) FROM (... LIMIT n)``, an index
    range scan). When the list is longer and the view names a cache key for it (``count_key``: a
    callable, asked only then), the exact count comes from the cache, filled by one full count
    and kept ``COUNT_CACHE_SECONDS``; the view changes the key when the list changes. Without a
    key (e.g. a filtered list) a long list is counted in full, as before.
    """

    def __init__(self, *args, count_key=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self):
        bounded = self.object_list[: COUNT_BOUND + 1].count()
        if bounded <= COUNT_BOUND:
            return bounded
        key = self.count_key() if self.count_key else None
        if key is None:
            return self.object_list.count()
        count = cache.get(key)
        if count is None:
            count = self.object_list.count()
            cache.set(key, count, COUNT_CACHE_SECONDS)
        return count


class PageNumberPagination(pagination.PageNumberPagination):
    """20 per page; clients may ask for up to 100 with ``?page_size=``.

    ``count`` is exact; on a long list it comes from the view's ``count_cache_key(request)``
    when the view has one (see ``BoundedCountPaginator``).
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        count_key = getattr(view, "count_cache_key", None)
        self.django_paginator_class = partial(
            BoundedCountPaginator, count_key=partial(count_key, request) if count_key else None
        )
        return super().paginate_queryset(queryset, request, view)
