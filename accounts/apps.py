from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users: the user API, the ``user_*`` and ``session_*`` services, sign-up, the account pages
    and the browser sessions (``UserSession``, ``accounts.session_engines``).

    A project-level app: it may use the domain apps' services (``seed_demo`` adds
    beers with ``lockers.services``), while the domain apps never import it.
    """

    name = "accounts"
    # What every migration of the app was written with; set here so the host project's
    # DEFAULT_AUTO_FIELD can never make makemigrations write a new one.
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from accounts import receivers

        user_logged_in.connect(receivers.stamp_signed_in_session, dispatch_uid="accounts.stamp_session")
        user_logged_out.connect(receivers.end_signed_out_session, dispatch_uid="accounts.end_session")
        user_logged_in.connect(receivers.complete_second_factor, dispatch_uid="accounts.second_factor")
