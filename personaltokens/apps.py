from django.apps import AppConfig


class PersonalTokensConfig(AppConfig):
    """Personal access tokens: a user's own scoped, expiring credentials for scripts (issue 21)."""

    name = "personaltokens"
    verbose_name = "Personal access tokens"
    default_auto_field = "django.db.models.BigAutoField"
