from django.apps import AppConfig
from django.core import checks


def oidc_signing_key_check(app_configs, **kwargs):
    """Settings read a debug-mode key only if it exists; say how to make one before an ID token
    fails to sign."""
    from oauth2_provider.settings import oauth2_settings

    if oauth2_settings.OIDC_ENABLED and not oauth2_settings.OIDC_RSA_PRIVATE_KEY:
        return [
            checks.Warning(
                "No OpenID Connect signing key: ID tokens cannot be issued.",
                hint="Run `manage.py createoidckey` (make run does), or set OIDC_RSA_PRIVATE_KEY.",
                id="oauthclients.W001",
            )
        ]
    return []


class OAuthClientsConfig(AppConfig):
    name = "oauthclients"
    verbose_name = "OAuth clients"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from oauthclients.oauth2 import authn

        # Django's login() is the one step every sign-in method shares (password, sign-up, social).
        user_logged_in.connect(authn.record_sign_in, dispatch_uid="oauthclients.record_sign_in")
        checks.register(oidc_signing_key_check)
