from django.urls import re_path

from oauthclients import views
from oauthclients.oauth2.endpoints import registration

app_name = "oauthclients"

# Included by the project at api/. Every route answers with and without its trailing slash.
# DOT's client ids are 40 characters from oauthlib's unreserved set; anything else is a 404.
CLIENT_ID_PATTERN = r"[A-Za-z0-9._~-]{1,255}"
CLIENT_ID = rf"(?P<client_id>{CLIENT_ID_PATTERN})"

urlpatterns = [
    re_path(r"^clients/?$", views.ClientListCreateView.as_view(), name="client-list"),
    re_path(rf"^clients/{CLIENT_ID}/?$", views.ClientDetailView.as_view(), name="client-detail"),
    re_path(
        rf"^clients/{CLIENT_ID}/rotate-secret/?$",
        views.ClientRotateSecretView.as_view(),
        name="client-rotate-secret",
    ),
    # RFC 7591 / 7592 dynamic client registration, beside DOT's other endpoints under oauth2/.
    re_path(r"^oauth2/register/?$", registration.ClientRegistrationView.as_view(), name="dcr-register"),
    re_path(
        rf"^oauth2/register/{CLIENT_ID}/?$",
        registration.ClientConfigurationView.as_view(),
        name="dcr-register-management",
    ),
]
