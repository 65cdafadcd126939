from django.apps import AppConfig


class PersonalTokensConfig(AppConfig):
    """Personal access tokens: a user's own scoped, expiring credentials for scripts (issue 21)."""

    name = "personaltokens"
    verbose_name = "Personal access tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.apps import apps

        if apps.is_installed("drf_spectacular"):
            from personaltokens import schema  # noqa: F401 - registers the OpenAPI scheme
