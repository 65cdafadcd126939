from django.apps import AppConfig


class OAuthClientsConfig(AppConfig):
    name = "oauthclients"
    verbose_name = "OAuth clients"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from oauthclients import authn

        # Django's login() is the one step every sign-in method shares (password, sign-up, social).
        user_logged_in.connect(authn.record_sign_in, dispatch_uid="oauthclients.record_sign_in")
