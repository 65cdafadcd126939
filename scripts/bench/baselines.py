"""The two baselines of the served benchmark (issue 10), as a URLconf of their own.

- ``/bench/bare``: a bare Django view answering a small JSON body after one indexed query.
- ``/bench/beers``: a plain DRF list view of the beer table (ModelSerializer, PageNumberPagination
  of 20, no authentication, no permission, no filters) over the benchmark user's beers, the same
  rows ``GET /api/beers`` lists for that user's token.

``BENCH_OWNER_ID`` names that user (set by the benchmark when it starts the server).
"""

import os

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.urls import path
from rest_framework import generics, pagination, serializers

from lockers.models import Beer

OWNER_ID = int(os.environ.get("BENCH_OWNER_ID", "0"))


def bare(request):
    user = get_user_model().objects.filter(pk=OWNER_ID).values("id", "username").first()
    return JsonResponse({"ok": True, "user": user})


class PlainBeerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Beer
        fields = ["id", "name", "type", "quantity", "created", "updated"]


class PlainPagination(pagination.PageNumberPagination):
    page_size = 20


class PlainBeerList(generics.ListAPIView):
    authentication_classes = []
    permission_classes = []
    filter_backends = []
    pagination_class = PlainPagination
    serializer_class = PlainBeerSerializer

    def get_queryset(self):
        return Beer.objects.filter(owner_id=OWNER_ID)


urlpatterns = [
    path("bench/bare", bare),
    path("bench/beers", PlainBeerList.as_view()),
]
