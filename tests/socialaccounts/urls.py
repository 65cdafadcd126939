"""Until the OAuth server is mounted on main (issue 3), mount DOT's endpoints for these tests only."""

from django.urls import include, path

from beerlocker.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/oauth2/", include("oauth2_provider.urls")), *project_urlpatterns]
