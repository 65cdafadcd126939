"""A project's URLs without socialaccounts: the OAuth server and the beer API only."""

from django.urls import include, path

urlpatterns = [
    path("api/oauth2/", include("oauthclients.oauth2.urls")),
    path("api/", include("lockers.urls")),
]
