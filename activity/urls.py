from django.urls import re_path

from activity import views

app_name = "activity-api"

urlpatterns = [
    re_path(r"^me/activity/?$", views.MyActivityListView.as_view(), name="event-list"),
]
