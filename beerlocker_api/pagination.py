from functools import partial

from django.core.paginator import EmptyPage, Paginator
from django.utils.functional import cached_property
from rest_framework import pagination


class CachedCountPaginator(Paginator):
    """Django's paginator whose ``count`` can come from the view's cache instead of a ``COUNT``
    on every page, and whose pages never trust that count to bound their rows.

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

    def page(self, number):
        """The page's rows never depend on the cached count: a stale count (another instance's
        cache, a change the version did not see) may be off for a moment, but the page holds every
        row it should. The rows are read as ``per_page + 1`` (the extra one says whether there is
        a next page) and the count is corrected to agree with them: exact on the last page."""
        if self.cached_count is None or self.orphans:
            return super().page(number)
        try:
            number = self.validate_number(number)
        except EmptyPage:
            # The cached count says there is no such page; the rows decide.
            number = self._exact_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if more:
            self.__dict__["count"] = max(self.count, bottom + self.per_page + 1)
        elif rows or number == 1:
            self.__dict__["count"] = bottom + len(rows)  # the last page: now the count is exact
        else:
            raise EmptyPage(self.error_messages["no_results"])
        self.__dict__.pop("num_pages", None)  # cached from the old count
        return self._get_page(rows, number, self)

    def _exact_number(self, number):
        self.cached_count = None
        self.__dict__.pop("count", None)
        self.__dict__.pop("num_pages", None)
        return self.validate_number(number)


class PageNumberPagination(pagination.PageNumberPagination):
    """20 per page; clients may ask for up to 100 with ``?page_size=``.

    ``count`` comes from the view's ``cached_count(request)`` when the view has one (see
    ``CachedCountPaginator``): it may lag a change for a moment, the page's rows never do.
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
