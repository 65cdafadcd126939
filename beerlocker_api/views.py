"""The API root: what a newcomer gets at /api/, a map of the API."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class ApiRootView(APIView):
    """Every endpoint of the API, as links, with the interactive docs and the OpenAPI schema."""

    # (The browsable API shows that docstring to visitors.) The project names the endpoints
    # (key -> URL name) where it wires the URLs, so this view knows no app.

    name = "Beer Locker API"
    # A map of public URLs: nothing in it depends on who asks.
    permission_classes = [AllowAny]
    endpoints: dict[str, str] = {}

    @extend_schema(exclude=True)  # a map of the schema's own paths
    def get(self, request, *args, **kwargs):
        return Response(
            {key: request.build_absolute_uri(reverse(url_name)) for key, url_name in self.endpoints.items()}
        )
