from django.apps import AppConfig


class BeerlockerApiConfig(AppConfig):
    """The shared API policy as an app only so that Django finds its translations
    (``beerlocker_api/locale/``): no models, no URLs of its own. Without it in ``INSTALLED_APPS``
    everything works, with the policy's own messages in English."""

    name = "beerlocker_api"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Beer Locker API policy"
