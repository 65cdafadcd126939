from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/oauth2/", include("oauthclients.oauth2.urls")),
    path("api/", include("oauthclients.urls")),
    path("api/", include("lockers.urls")),
    path("account/", include("oauthclients.page_urls")),
    path("account/beers/", include("lockers.page_urls")),
    path("", include("socialaccounts.urls")),
    path("social/", include("social_django.urls", namespace="social")),
]
