"""Django's ``changepassword``, then what any new password means (``user_password_changed``).

It replaces ``django.contrib.auth``'s command because ``accounts`` comes before it in
INSTALLED_APPS (the first app to provide a command wins); tests/accounts/test_password_resets.py
fails if it ever stops doing so.
"""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword

from accounts import services


class Command(changepassword.Command):
    help = (
        "Change a user's password, then revoke their tokens, sign out their sessions and e-mail "
        "them, as an administrator's reset does."
    )

    def handle(self, *args, **options):
        done = super().handle(*args, **options)  # raises CommandError unless the password changed
        model = get_user_model()
        username = options["username"] or getpass.getuser()
        user = model._default_manager.using(options["database"]).get(**{model.USERNAME_FIELD: username})
        services.user_password_changed(user=user, how="admin")
        return done
