from django.urls import path

from activity import pages

app_name = "activity"

urlpatterns = [
    path("", pages.ActivityPageView.as_view(), name="list"),
]
