from django.contrib.auth import get_user_model
from django.db.models import Sum
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsApplicationWithTokenScope
from lockers import conf, services
from lockers.filters import BeerFilter
from lockers.models import Beer
from lockers.serializers import BeerSerializer


class OwnBeersMixin:
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
        beers = Beer.objects.aggregate(bottles=Sum("quantity", default=0))
        return Response(
            {
                "users": get_user_model().objects.filter(is_active=True).count(),
                "beers": Beer.objects.count(),
                "bottles": beers["bottles"],
            }
        )
