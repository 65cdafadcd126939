from django.urls import path, re_path

from lockers import pages

app_name = "lockers-web"

urlpatterns = [
    path("", pages.BeerListPageView.as_view(), name="beer-list"),
    path("add/", pages.BeerCreatePageView.as_view(), name="beer-create"),
    # Ids capped at 18 digits, as in the API: an absurd id is a 404, never a database overflow.
    re_path(r"^(?P<pk>[0-9]{1,18})/edit/$", pages.BeerUpdatePageView.as_view(), name="beer-update"),
    re_path(r"^(?P<pk>[0-9]{1,18})/delete/$", pages.BeerDeletePageView.as_view(), name="beer-delete"),
]
