from django.apps import AppConfig
from django.core import checks


def adapter_check(app_configs, **kwargs):
    """``SOCIALACCOUNTS["ADAPTER"]`` names a ``SocialAccountsAdapter``, and no key it replaced is
    set (a warning: it is ignored, so a provider's logout would end no session unnoticed)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    from socialaccounts import conf
    from socialaccounts.adapter import SocialAccountsAdapter

    errors: list[checks.CheckMessage] = [
        checks.Warning(
            f'SOCIALACCOUNTS["{key}"] is no longer read.',
            hint=f'Override SocialAccountsAdapter.{method} in the class SOCIALACCOUNTS["ADAPTER"] names.',
            id="socialaccounts.W001",
        )
        for key, method in conf.REPLACED_BY_ADAPTER.items()
        if key in getattr(settings, "SOCIALACCOUNTS", {})
    ]
    try:
        adapter = import_string(conf.get("ADAPTER"))
    except ImportError as error:
        return [*errors, checks.Error(f'SOCIALACCOUNTS["ADAPTER"]: {error}', id="socialaccounts.E001")]
    if not (isinstance(adapter, type) and issubclass(adapter, SocialAccountsAdapter)):
        errors.append(
            checks.Error(
                'SOCIALACCOUNTS["ADAPTER"] must name a subclass of SocialAccountsAdapter.',
                id="socialaccounts.E001",
            )
        )
    return errors


class SocialAccountsConfig(AppConfig):
    name = "socialaccounts"
    # What every migration of the app was written with; set here so the host project's
    # DEFAULT_AUTO_FIELD can never make makemigrations write a new one.
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Social sign-in"

    def ready(self):
        checks.register(adapter_check)
