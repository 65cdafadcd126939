from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("accounts/signup/", views.SignUpView.as_view(), name="signup"),
]
