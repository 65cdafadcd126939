from django.urls import include, path

urlpatterns = [
    path("api/", include("lockers.urls")),
    path("my-beers/", include("lockers.page_urls")),
]
