from django.apps import AppConfig
from django.core import checks


class OpsConfig(AppConfig):
    name = "ops"
    # What every migration of the app was written with; set here so the host project's
    # DEFAULT_AUTO_FIELD can never make makemigrations write a new one.
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Operations (health checks, request log, metrics)"

    def ready(self) -> None:
        from ops import metrics
        from ops.production import production_settings

        metrics.connect()
        # `check --deploy` only: what production refuses to start with (ops/production.py).
        checks.register(production_settings, checks.Tags.security, deploy=True)
