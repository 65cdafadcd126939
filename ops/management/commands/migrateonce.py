"""``manage.py migrateonce``: ``migrate`` that several instances may start at the same moment.

On PostgreSQL it holds a session advisory lock while it migrates: replicas starting together
migrate one after the other, and the later ones find nothing left to do. The wait is bounded
(``--timeout``); past it the command fails and changes nothing. SQLite serves one host, one
instance: there it is plain ``migrate``.
"""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

# Any constant the deployment's other advisory locks do not use: "beerlock" in ASCII.
LOCK_KEY = 0x626565726C6F636B


class Command(BaseCommand):
    help = "Apply migrations, one instance at a time (a PostgreSQL advisory lock)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, default=600, help="Seconds to wait for another instance's migration."
        )

    def handle(self, *args, timeout=600.0, **options):
        if connection.vendor != "postgresql":
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
            return
        deadline = time.monotonic() + timeout
        with connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() >= deadline:
                    raise CommandError(
                        f"Another instance has been migrating for over {timeout:g}s; nothing was migrated."
                    )
                time.sleep(min(1.0, timeout))
            try:
                call_command("migrate", interactive=False, verbosity=options["verbosity"])
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
