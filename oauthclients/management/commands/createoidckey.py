from pathlib import Path

from django.core.management.base import BaseCommand

from oauthclients import conf
from oauthclients.keys import dev_key_create


class Command(BaseCommand):
    help = "Generate the development OpenID Connect signing key (var/oidc.key) unless it exists."

    def handle(self, *args, **options):
        path = Path(conf.get("OIDC_DEV_KEY_FILE"))
        created = dev_key_create(path)
        self.stdout.write(f"{'Created' if created else 'Kept'} the development signing key {path}.")
