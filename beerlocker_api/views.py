"""The API root: what a newcomer gets at /api/, a map of the API; and its RFC 9728 metadata."""

from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import extend_schema
from oauth2_provider.views.metadata import OAuthProtectedResourceMetadataView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from beerlocker_api import conf, resource


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


class ProtectedResourceMetadataView(OAuthProtectedResourceMetadataView):
    """RFC 9728 metadata of the API: its identifier, the server that issues its tokens, the scopes
    its views accept, header-only bearer tokens, its name and documentation; CORS ``*`` (DOT's).

    Another protected resource on the site subclasses it, overriding ``get_resource`` and
    ``get_scopes_supported``.
    """

    def get_resource(self, request):
        return resource.api_resource(request)

    def get_scopes_supported(self):
        return resource.api_scopes()

    def get_bearer_methods_supported(self):
        # RFC 6750 §2.1 only: the API refuses a token in the query or the body (TokenOutsideHeader).
        return ["header"]

    def get_resource_name(self):
        return resource.resource_name()

    def get_resource_documentation(self):
        documentation = conf.get("RESOURCE_DOCUMENTATION")
        if not documentation or "://" in documentation:
            return documentation
        try:
            return self.request.build_absolute_uri(reverse(documentation))
        except NoReverseMatch:
            return ""
