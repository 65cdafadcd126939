"""The project's URLs plus DOT's token endpoint, so tests can authenticate a client for real.

Mounting DOT at /api/oauth2/ is another part of the project's work; these tests only need to
know whether a client secret is accepted, through DOT's own client authentication.
"""

from django.urls import path
from oauth2_provider import views as oauth2_views

from beerlocker.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("test-token/", oauth2_views.TokenView.as_view(), name="test-token"),
    *project_urlpatterns,
]
