from pathlib import Path

from django.core.management.base import BaseCommand

from oauthclients import conf
from oauthclients.keys import key_file_create


class Command(BaseCommand):
    help = (
        "Generate the OpenID Connect signing key into OAUTHCLIENTS['OIDC_KEY_FILE'] (default "
        "var/oidc.key under BASE_DIR, whatever the current directory) unless it exists."
    )

    # It is how the "no signing key" check (oauthclients.E002) is answered: never blocked by it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, help="Write here instead (then point OIDC_KEY_FILE at it)."
        )

    def handle(self, *args, output=None, **options):
        path = output.resolve() if output else conf.app_settings.OIDC_KEY_FILE
        created = key_file_create(path)
        self.stdout.write(f"{'Created' if created else 'Kept'} the OpenID Connect signing key {path}.")
