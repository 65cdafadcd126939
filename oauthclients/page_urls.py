from django.urls import path, re_path

from oauthclients import pages

app_name = "oauthclients-web"

# As in the REST API: DOT's client ids are from oauthlib's unreserved set; anything else is a 404.
CLIENT_ID = r"(?P<client_id>[A-Za-z0-9._~-]{1,255})"
PK = r"(?P<pk>[0-9]{1,18})"

urlpatterns = [
    path("apps/", pages.AuthorizedAppListPageView.as_view(), name="authorized-list"),
    re_path(rf"^apps/{PK}/revoke/$", pages.AuthorizedAppRevokePageView.as_view(), name="app-revoke"),
    path("developer/", pages.ClientListPageView.as_view(), name="client-list"),
    path("developer/new/", pages.ClientCreatePageView.as_view(), name="client-create"),
    re_path(rf"^developer/{CLIENT_ID}/$", pages.ClientDetailPageView.as_view(), name="client-detail"),
    re_path(rf"^developer/{CLIENT_ID}/edit/$", pages.ClientUpdatePageView.as_view(), name="client-update"),
    re_path(rf"^developer/{CLIENT_ID}/rotate/$", pages.ClientRotatePageView.as_view(), name="client-rotate"),
    re_path(rf"^developer/{CLIENT_ID}/delete/$", pages.ClientDeletePageView.as_view(), name="client-delete"),
]
