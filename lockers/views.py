from functools import partial

from django.contrib.auth import get_user_model
from django.db.models import Count, Sum
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from beerlocker_api.permissions import IsApplicationWithTokenScope
from lockers import caching, conf, services
from lockers.filters import BeerFilter
from lockers.models import Beer
from lockers.serializers import BeerSerializer


class OwnBeersMixin(generics.GenericAPIView):
    """Starts from the caller's own beers; a bearer token needs ``LOCKERS["BEER_TOKEN_SCOPES"]``."""

    serializer_class = BeerSerializer

    @property
    def token_scopes(self):
        return conf.get("BEER_TOKEN_SCOPES")

    def get_queryset(self):
        return Beer.objects.owned_by(self.request.user)


class BeerListCreateView(OwnBeersMixin, generics.ListCreateAPIView):
    """The caller's own beers, paginated, filterable by type and searchable by name; POST adds one."""

    name = "My beers"  # the browsable API's title

    filterset_class = BeerFilter
    search_fields = ["name"]
    ordering_fields = ["name", "quantity", "created"]

    # The query parameters that are not about filtering, searching or ordering.
    PAGING_PARAMS = frozenset({"page", "page_size", "format"})

    def filter_queryset(self, queryset):
        # Without a filter, search or ordering parameter the backends change nothing (the model's
        # order is the default), but django-filter still builds and validates a form per request.
        if not set(self.request.query_params) - self.PAGING_PARAMS:
            return queryset
        return super().filter_queryset(queryset)

    def cached_count(self, request):
        """How the page ``count`` of the whole locker comes from the cache (beerlocker_api.pagination);
        None for a filtered, searched or reordered list, which is counted as asked. The cache
        entries may have been fetched already, with the token's revocation marks
        (``prefetch_cache_keys``)."""
        if set(request.query_params) - self.PAGING_PARAMS:
            return None
        return partial(caching.beer_count, request.user.pk, reads=getattr(request, "cache_reads", None))

    def prefetch_cache_keys(self, request, user_pk):
        """The cache entries this request will read for ``user_pk``: an authentication that reads
        the cache anyway (a JWT access token's revocation marks) fetches them in the same round
        trip (``beerlocker_api.authentication.BearerAuthentication.authenticate_jwt``)."""
        if request.method != "GET" or set(request.query_params) - self.PAGING_PARAMS:
            return []
        return caching.beer_count_keys(user_pk)

    def perform_create(self, serializer):
        serializer.instance = services.beer_create(owner=self.request.user, **serializer.validated_data)


class BeerDetailView(OwnBeersMixin, generics.RetrieveUpdateDestroyAPIView):
    """One of the caller's beers; another user's beer is a 404, by construction of the queryset."""

    name = "My beer"  # the browsable API's title

    def perform_update(self, serializer):
        serializer.instance = services.beer_update(beer=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.beer_delete(beer=instance)


class StatsView(APIView):
    """Site-wide totals for applications holding ``stats:read``; nothing about any one user."""

    name = "Site totals"  # the browsable API's title

    permission_classes = [IsApplicationWithTokenScope]

    @property
    def token_scopes(self):
        return conf.get("STATS_TOKEN_SCOPES")

    def get(self, request):
        # Whole-table counts: recomputed at most every STATS_CACHE_SECONDS, not on every call.
        return Response(caching.stats(site_totals, seconds=conf.get("STATS_CACHE_SECONDS")))


def site_totals():
    beers = Beer.objects.aggregate(beers=Count("id"), bottles=Sum("quantity", default=0))
    return {
        "users": get_user_model().objects.filter(is_active=True).count(),
        "beers": beers["beers"],
        "bottles": beers["bottles"],
    }
