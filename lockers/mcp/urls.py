"""Include at the site root: RFC 9728 puts the metadata under the root's ``/.well-known/``."""

from django.urls import path, re_path

from lockers.mcp import views

app_name = "lockers-mcp"

urlpatterns = [
    re_path(r"^mcp/?$", views.McpView.as_view(), name="endpoint"),
    path(
        ".well-known/oauth-protected-resource/mcp",
        views.McpResourceMetadataView.as_view(),
        name="resource-metadata",
    ),
]
