from django.apps import AppConfig
from django.core import checks


def oidc_signing_key_check(app_configs, **kwargs):
    """Say how to make a signing key before an ID token fails to sign: a warning while DEBUG is
    on, an error (the server does not start) without it."""
    from django.conf import settings
    from oauth2_provider.settings import oauth2_settings

    from oauthclients import conf

    if oauth2_settings.OIDC_ENABLED and not oauth2_settings.OIDC_RSA_PRIVATE_KEY:
        kind, check_id = (
            (checks.Warning, "oauthclients.W001") if settings.DEBUG else (checks.Error, "oauthclients.E003")
        )
        return [
            kind(
                "No OpenID Connect signing key: ID tokens cannot be issued.",
                hint=f"Run `manage.py createoidckey` (it writes {conf.app_settings.OIDC_KEY_FILE}, "
                "OAUTHCLIENTS['OIDC_KEY_FILE']), or set OAUTH2_PROVIDER['OIDC_RSA_PRIVATE_KEY'].",
                id=check_id,
            )
        ]
    return []


def signing_keys_check(app_configs, **kwargs):
    """The EC key and the inactive EC keys, when configured, are EC P-256 private keys (a key that
    fails at the first ES256 token would fail them all); ``PAR_EXPIRES_SECONDS`` is short;
    ``SECURITY_PROFILE`` names a profile this server knows."""
    from django.core.exceptions import ImproperlyConfigured

    from oauthclients import conf, keys

    errors: list[checks.CheckMessage] = []
    try:
        for pem in filter(None, [conf.oidc_ec_key(), *conf.get("OIDC_EC_PRIVATE_KEYS_INACTIVE")]):
            keys.check_private_key(pem, key_type=keys.EC, name="An OIDC EC signing key")
    except ImproperlyConfigured as error:
        errors.append(
            checks.Error(
                str(error),
                hint="Run `manage.py createoidckey`, or set OAUTHCLIENTS['OIDC_EC_PRIVATE_KEY'] "
                "to an EC P-256 key.",
                id="oauthclients.E004",
            )
        )
    seconds = conf.get("PAR_EXPIRES_SECONDS")
    if not isinstance(seconds, int) or not 0 < seconds < 600:
        errors.append(
            checks.Error(
                "OAUTHCLIENTS['PAR_EXPIRES_SECONDS'] must be a whole number of seconds under 600.",
                hint="RFC 9126 §2.2: a request_uri lives briefly; 60 is the default.",
                id="oauthclients.E005",
            )
        )
    from oauthclients.grants import SECURITY_PROFILES

    if conf.get("SECURITY_PROFILE") not in SECURITY_PROFILES:
        errors.append(
            checks.Error(
                f"OAUTHCLIENTS['SECURITY_PROFILE'] must be one of {SECURITY_PROFILES!r}.",
                hint='"fapi2" holds every client to the FAPI 2.0 Security Profile; "" (the default) none.',
                id="oauthclients.E006",
            )
        )
    return errors


def outbound_networks_check(app_configs, **kwargs):
    """A network the operator lists for outbound requests must parse, before the first request."""
    from django.core.exceptions import ImproperlyConfigured

    from oauthclients.outbound import allowed_networks

    try:
        allowed_networks()
    except ImproperlyConfigured as error:
        return [
            checks.Error(
                str(error),
                hint="List networks in CIDR notation, e.g. 10.20.0.0/16,fd00:1::/64.",
                id="oauthclients.E001",
            )
        ]
    return []


def adapter_check(app_configs, **kwargs):
    """``OAUTHCLIENTS["ADAPTER"]`` names an ``OAuthClientsAdapter``, and no key it replaced is set
    (a warning: it is ignored, which would leave back-channel logout or token exchange off unnoticed)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    from oauthclients import conf
    from oauthclients.adapter import OAuthClientsAdapter

    errors: list[checks.CheckMessage] = [
        checks.Warning(
            f'OAUTHCLIENTS["{key}"] is no longer read.',
            hint=f'Override OAuthClientsAdapter.{method} in the class OAUTHCLIENTS["ADAPTER"] names.',
            id="oauthclients.W002",
        )
        for key, method in conf.REPLACED_BY_ADAPTER.items()
        if key in getattr(settings, "OAUTHCLIENTS", {})
    ]
    try:
        adapter = import_string(conf.get("ADAPTER"))
    except ImportError as error:
        return [*errors, checks.Error(f'OAUTHCLIENTS["ADAPTER"]: {error}', id="oauthclients.E002")]
    if not (isinstance(adapter, type) and issubclass(adapter, OAuthClientsAdapter)):
        errors.append(
            checks.Error(
                'OAUTHCLIENTS["ADAPTER"] must name a subclass of OAuthClientsAdapter.',
                id="oauthclients.E002",
            )
        )
    return errors


class OAuthClientsConfig(AppConfig):
    name = "oauthclients"
    # What every migration of the app was written with; set here so the host project's
    # DEFAULT_AUTO_FIELD can never make makemigrations write a new one.
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "OAuth clients"

    def __init__(self, app_name, app_module):
        super().__init__(app_name, app_module)
        # The app's defaults for DOT's settings (oauthclients.conf), here and not in ready():
        # Django creates every app config before it imports any models, and the admin's ready()
        # (django.contrib.admin comes first) already reads DOT's APPLICATION_ADMIN_CLASS.
        from oauthclients import conf

        conf.install()

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from oauthclients.oauth2.logout import backchannel
        from oauthclients.oauth2.oidc import authn

        # Django's login() is the one step every sign-in method shares (password, sign-up, social).
        user_logged_in.connect(authn.record_sign_in, dispatch_uid="oauthclients.record_sign_in")
        checks.register(oidc_signing_key_check)
        checks.register(signing_keys_check)
        checks.register(outbound_networks_check)
        checks.register(adapter_check)
        # Back-channel logout hears of every session's end from the signal the adapter names.
        backchannel.connect_session_ended()
        # JWT access tokens are verified without the database: every deleted token row and every
        # deactivated account reaches the resources as a mark in the shared cache.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save, pre_save
        from oauth2_provider.models import get_access_token_model

        from oauthclients.oauth2.tokens import jwt_access

        post_delete.connect(
            jwt_access.access_token_deleted,
            sender=get_access_token_model(),
            dispatch_uid="oauthclients.jwt_access.access_token_deleted",
        )
        pre_save.connect(
            jwt_access.access_token_changing,
            sender=get_access_token_model(),
            dispatch_uid="oauthclients.jwt_access.access_token_changing",
        )
        post_save.connect(
            jwt_access.account_saved,
            sender=get_user_model(),
            dispatch_uid="oauthclients.jwt_access.account_saved",
        )
        # A queryset's update() sends no signal: deactivating users, or changing tokens, in bulk.
        jwt_access.watch_bulk_changes(get_user_model(), jwt_access.UserBulkChangesMarked)
        jwt_access.watch_bulk_changes(get_access_token_model(), jwt_access.AccessTokenBulkChangesMarked)
