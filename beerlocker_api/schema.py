"""OpenAPI wiring for drf-spectacular: our bearer scopes per endpoint and the one error shape."""

from django.views.generic import TemplateView
from drf_spectacular.authentication import BasicScheme
from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import serializers

from beerlocker_api.permissions import required_token_scopes

ERROR = {
    "type": "object",
    "description": "An error about the request as a whole.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "Invalid input: one key per field (`non_field_errors` for the body), each a list.",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {
                "type": "object",
                "description": "A list field's errors, keyed by the index of the item at fault.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        ]
    },
    "example": {"name": ["This field is required."]},
}
_ERROR_RESPONSES = {
    "401": "No or wrong credentials. `WWW-Authenticate` names Bearer and Basic.",
    "403": "Signed in, but not allowed: e.g. a bearer token without the scope this request needs.",
    "404": "Not found, or not yours.",
}


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI under the site's own Cross-Origin-Opener-Policy, so its OAuth popup can report back;
    its start-up script is a separate request, so the Content-Security-Policy needs no inline script."""

    template_name = "api_docs.html"  # under the site's header
    metadata_class = None  # OPTIONS is a 405: DRF's metadata response has no template to render here

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # drf-spectacular sends "unsafe-none" (for a cross-origin authorization server); our consent
        # and redirect pages are same-origin with COOP same-origin, and a popup whose COOP differs
        # from its opener's loses window.opener, so the token would never reach the docs page.
        # Without the header SecurityMiddleware gives this page the site's policy too.
        del response["Cross-Origin-Opener-Policy"]
        return response


class SwaggerOAuthRedirectView(TemplateView):
    """Swagger UI's OAuth redirect page, rendered by Django so it carries the site's COOP.

    drf-spectacular redirects to the static file instead, which a static file server may send
    without that header; the popup then loses window.opener and cannot hand the code back.
    """

    template_name = "api_docs_oauth2_redirect.html"


class LimitedBasicScheme(BasicScheme):
    """Our Basic authentication (with its guessing limits) is HTTP Basic in the schema."""

    target_class = "beerlocker_api.authentication.BasicAuthentication"


class BearerScheme(DjangoOAuthToolkitScheme):
    """Documents ``view.token_scopes``: the scopes a bearer token needs, per kind of method."""

    target_class = "beerlocker_api.authentication.BearerAuthentication"
    priority = 1

    def get_security_requirement(self, auto_schema):
        # drf-spectacular gives the view a mock request with the documented method.
        scopes = required_token_scopes(auto_schema.view.request, auto_schema.view)
        return None if scopes is None else {self.name: scopes}


class StatsViewSchema(OpenApiViewExtension):
    """/api/stats is a plain APIView; its response is described here so the schema names its fields."""

    target_class = "lockers.views.StatsView"

    def view_replacement(self):
        totals = inline_serializer(
            "Stats",
            {
                "users": serializers.IntegerField(),
                "beers": serializers.IntegerField(),
                "bottles": serializers.IntegerField(),
            },
        )

        class Documented(self.target_class):
            pass

        summary = "Site-wide totals (application token, stats:read)"
        return extend_schema_view(get=extend_schema(responses=totals, summary=summary))(Documented)


def document_errors(result, generator, request, public):
    """Postprocessing hook: every operation lists the error responses it can give, in our shape."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    schemas["ValidationError"] = VALIDATION_ERROR
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            # A body, or query parameters (filters: a value no filter takes is a 400 too).
            queried = any(parameter.get("in") == "query" for parameter in operation.get("parameters", []))
            if method in {"post", "put", "patch"} or queried:
                responses.setdefault(
                    "400",
                    {
                        "description": "Invalid input.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}
                        },
                    },
                )
            secured = any(requirement for requirement in operation.get("security", []))
            if secured and method in {"post", "put", "patch", "delete"}:
                responses.setdefault(
                    "415",
                    {
                        "description": "Signed in with HTTP Basic, the body was not JSON.",
                        "content": error_ref,
                    },
                )
            for status, description in _ERROR_RESPONSES.items():
                if secured or (status == "404" and "{" in path):
                    responses.setdefault(status, {"description": description, "content": error_ref})
    return result


def slashless_paths(result, generator, request, public):
    """List each path the way the routes are reversed and the seeds call them: /api/beers, not /api/beers/.

    Our routes end in ``/?`` (both forms work); drf-spectacular spells that with the slash.
    """
    result["paths"] = {path.rstrip("/") or path: item for path, item in result["paths"].items()}
    return result
