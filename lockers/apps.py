from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class LockersConfig(AppConfig):
    name = "lockers"
    # What every migration of the app was written with; set here so the host project's
    # DEFAULT_AUTO_FIELD can never make makemigrations write a new one.
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Beer lockers"

    def ready(self):
        from lockers import caching
        from lockers.models import Beer

        # A locker's cached count must move with every beer added or deleted, including those the
        # services never see (the admin's bulk delete, a user's deletion cascading to the beers).
        post_save.connect(caching.beer_saved, sender=Beer, dispatch_uid="lockers.beer_saved")
        post_delete.connect(caching.beer_deleted, sender=Beer, dispatch_uid="lockers.beer_deleted")
