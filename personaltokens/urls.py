from django.urls import re_path

from personaltokens import views

app_name = "personaltokens-api"

urlpatterns = [
    re_path(r"^me/tokens/?$", views.MyTokenListView.as_view(), name="token-list"),
    re_path(r"^me/tokens/(?P<pk>\d+)/?$", views.MyTokenDetailView.as_view(), name="token-detail"),
]
