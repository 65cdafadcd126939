from django.core.management.base import BaseCommand, CommandError

from oauthclients import conf
from oauthclients.oauth2.logout.backchannel import logout_deliveries_prune


class Command(BaseCommand):
    help = (
        "Delete delivered and failed back-channel logout deliveries older than "
        "LOGOUT_DELIVERY_RETENTION_DAYS (default 30), in batches; pending ones stay. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            help=f"Keep this many days instead (default {conf.get('LOGOUT_DELIVERY_RETENTION_DAYS')}).",
        )

    def handle(self, *args, days=None, **options):
        if days is not None and days < 0:
            raise CommandError("--days must not be negative.")
        deleted = logout_deliveries_prune(days=days)
        self.stdout.write(f"Deleted {deleted} logout deliveries.")
