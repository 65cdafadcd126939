"""``manage.py resetsecondfactors <username>``: an administrator's way back in for a user who lost
every second factor (their phone and their recovery codes): all of them are removed, their
sessions end, and they are told by e-mail; the activity log records the reset as an
administrator's (docs/account-security.md)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = (
        "Remove every second factor of a user who lost them (logged and e-mailed); they then sign "
        "in with the password alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        model = get_user_model()
        user = model._default_manager.filter(**{model.USERNAME_FIELD: options["username"]}).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        removed = services.second_factors_reset(user=user, admin=None)
        self.stdout.write(
            f"Removed {removed} second factor{'s' if removed != 1 else ''} of {user.get_username()}."
        )
