from functools import partial

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework import pagination


class CachedCountPaginator(Paginator):
    """Django's paginator whose ``count`` can come from the view's cache instead of a ``COUNT``
    on every page.

    ``cached_count`` (from the view's ``cached_count(request)``, or None) is called with the
    function that counts in SQL and returns the exact count: the view keeps it, keyed so that it
    changes when the list does (``lockers.caching``). Without one the list is counted as asked.
    """

    def __init__(self, *args, cached_count=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cached_count = cached_count

    @cached_property
    def count(self):
        if self.cached_count is None:
            return super().count
        return self.cached_count(self.object_list.count)


class PageNumberPagination(pagination.PageNumberPagination):
    """20 per page; clients may ask for up to 100 with ``?page_size=``.

    ``count`` is exact; it comes from the view's ``cached_count(request)`` when the view has one
    (see ``CachedCountPaginator``).
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        cached_count = getattr(view, "cached_count", None)
        paginator = CachedCountPaginator
        if cached_count is not None and (counter := cached_count(request)) is not None:
            paginator = partial(CachedCountPaginator, cached_count=counter)
        self.django_paginator_class = paginator
        return super().paginate_queryset(queryset, request, view)
