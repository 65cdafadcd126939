from django.urls import re_path

from lockers import views

app_name = "lockers"

# Every route answers with and without its trailing slash: the seeds' clients call /api/beers.
# Ids are capped at 18 digits so an absurd id is a 404, never a database overflow.
urlpatterns = [
    re_path(r"^beers/?$", views.BeerListCreateView.as_view(), name="beer-list"),
    re_path(r"^stats/?$", views.StatsView.as_view(), name="stats"),
    re_path(r"^beers/(?P<pk>[0-9]{1,18})/?$", views.BeerDetailView.as_view(), name="beer-detail"),
]
