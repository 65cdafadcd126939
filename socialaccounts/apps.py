from django.apps import AppConfig


class SocialAccountsConfig(AppConfig):
    name = "socialaccounts"
    verbose_name = "Social sign-in"
