from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    # What every migration of the app was written with; set here so the host project's
    # DEFAULT_AUTO_FIELD can never make makemigrations write a new one.
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Operations (health checks, request log, metrics)"

    def ready(self):
        from ops import metrics

        metrics.connect()
