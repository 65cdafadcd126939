from django.core.management.base import BaseCommand, CommandError

from activity import conf
from activity.services import events_prune


class Command(BaseCommand):
    help = "Delete security activity events older than ACTIVITY_RETENTION_DAYS (default 180); run it daily."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help=f"Keep this many days instead (default {conf.get('RETENTION_DAYS')})."
        )

    def handle(self, *args, days=None, **options):
        if days is not None and days < 0:
            raise CommandError("--days must not be negative.")
        deleted = events_prune(days=days)
        self.stdout.write(f"Deleted {deleted} activity events.")
