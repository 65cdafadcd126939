from django.urls import path

from personaltokens import pages

app_name = "personaltokens"

urlpatterns = [
    path("", pages.TokenListPageView.as_view(), name="tokens"),
    path("<int:pk>/revoke/", pages.TokenRevokePageView.as_view(), name="token-revoke"),
]
