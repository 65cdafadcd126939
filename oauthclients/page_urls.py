from django.urls import path, re_path

from oauthclients import pages

app_name = "oauthclients-web"

urlpatterns = [
    path("apps/", pages.AuthorizedAppListPageView.as_view(), name="authorized-list"),
    re_path(
        r"^apps/(?P<pk>[0-9]{1,18})/revoke/$",
        pages.AuthorizedAppRevokePageView.as_view(),
        name="authorized-revoke",
    ),
]
