from django.urls import include, path

urlpatterns = [
    path("api/oauth2/", include("oauthclients.oauth2.urls")),
    path("api/", include("oauthclients.urls")),
]
