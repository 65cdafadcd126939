from django.apps import AppConfig


class ActivityConfig(AppConfig):
    """The security activity log: what happened to each account, for its user and administrators.

    A project-level app like ``accounts``: it listens to signals (Django's sign-in signals,
    django-oauth-toolkit's ``app_authorized``, ``accounts.signals`` and the small signals the
    domain apps send) and the domain apps never import it.
    """

    name = "activity"
    # What every migration of the app was written with; set here so the host project's
    # DEFAULT_AUTO_FIELD can never make makemigrations write a new one.
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Security activity"

    def ready(self):
        from activity import receivers

        receivers.connect()
