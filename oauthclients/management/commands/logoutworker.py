"""Deliver back-channel logout tokens from the outbox (``LogoutDelivery``), continuously."""

import signal
import time

from django.core.management.base import BaseCommand

from oauthclients.oauth2.logout import backchannel


class Command(BaseCommand):
    help = (
        "Deliver OpenID Connect back-channel logout tokens queued when sessions end, retrying with "
        "backoff. Runs until stopped (SIGTERM/SIGINT finish the current delivery); --once for cron or tests."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Attempt what is due now, then exit.")
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Seconds between polls when idle (default 2)."
        )

    def handle(self, *args, once=False, interval=2.0, **options):
        if once:
            attempted = backchannel.deliver_due()
            self.stdout.write(f"{attempted} logout deliveries attempted.")
            return
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        self.stdout.write("Delivering back-channel logout tokens; stop with SIGTERM or Ctrl-C.")
        while not stopping:
            if not backchannel.deliver_due():
                time.sleep(interval)
