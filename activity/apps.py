from django.apps import AppConfig


class ActivityConfig(AppConfig):
    """The security activity log: what happened to each account, for its user and administrators.

    A project-level app like ``accounts``: it listens to signals (Django's sign-in signals,
    django-oauth-toolkit's ``app_authorized``, ``accounts.signals`` and the small signals the
    domain apps send) and the domain apps never import it.
    """

    name = "activity"
    verbose_name = "Security activity"

    def ready(self):
        from activity import receivers

        receivers.connect()
