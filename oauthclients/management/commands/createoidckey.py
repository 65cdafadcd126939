from pathlib import Path

from django.core.management.base import BaseCommand

from oauthclients import conf
from oauthclients.keys import EC, key_file_create


class Command(BaseCommand):
    help = (
        "Generate the OpenID Connect signing keys unless they exist: the RSA key (RS256, PS256) into "
        "OAUTHCLIENTS['OIDC_KEY_FILE'] (default var/oidc.key under BASE_DIR, whatever the current "
        "directory) and the EC P-256 key (ES256) into OAUTHCLIENTS['OIDC_EC_KEY_FILE'] (var/oidc-ec.key)."
    )

    # It is how the "no signing key" check (oauthclients.E002) is answered: never blocked by it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, help="Write the RSA key here instead (then point OIDC_KEY_FILE at it)."
        )
        parser.add_argument(
            "--ec-output",
            type=Path,
            help=(
                "Write the EC key here instead (then point OIDC_EC_KEY_FILE at it); with --output "
                "alone, beside it (signing.pem: signing-ec.pem)."
            ),
        )

    def handle(self, *args, output=None, ec_output=None, **options):
        path = output.resolve() if output else conf.app_settings.OIDC_KEY_FILE
        created = key_file_create(path)
        self.stdout.write(f"{'Created' if created else 'Kept'} the OpenID Connect signing key {path}.")
        if ec_output:
            ec_path = ec_output.resolve()
        elif output:
            ec_path = path.with_name(f"{path.stem}-ec{path.suffix}")
        else:
            ec_path = conf.app_settings.OIDC_EC_KEY_FILE
        created = key_file_create(ec_path, key_type=EC)
        self.stdout.write(f"{'Created' if created else 'Kept'} the ES256 signing key {ec_path}.")
