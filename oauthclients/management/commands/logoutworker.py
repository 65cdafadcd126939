"""Deliver back-channel logout tokens from the outbox (``LogoutDelivery``), continuously."""

import signal
import threading

from django.core.management.base import BaseCommand

from oauthclients import outbound
from oauthclients.oauth2.logout import backchannel


class Command(BaseCommand):
    help = (
        "Deliver OpenID Connect back-channel logout tokens queued when sessions end, several at once "
        "(at most one per client), retrying with backoff. Runs until stopped: SIGTERM/SIGINT let the "
        "deliveries under way finish (each is bounded by OUTBOUND_DEADLINE_SECONDS), then exit. "
        "--once for cron or tests."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Attempt what is due now, then exit.")
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Seconds between polls when idle (default 2)."
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Deliveries sent at once (default OAUTHCLIENTS['LOGOUT_DELIVERY_THREADS']).",
        )

    def handle(self, *args, once=False, interval=2.0, threads=None, **options):
        deliverer = backchannel.Deliverer(threads=threads)
        if once:
            attempted = deliverer.run(once=True)
            self.stdout.write(f"{attempted} logout deliveries attempted.")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(
            f"Delivering back-channel logout tokens, {deliverer.threads} at once; "
            "stop with SIGTERM or Ctrl-C.",
        )
        self.stdout.flush()
        attempted = deliverer.run(stop=stop, interval=interval)
        self.stdout.write(
            f"Stopped: {attempted} logout deliveries attempted "
            f"(the last within {outbound.deadline_seconds():g} s of the signal)."
        )
        self.stdout.flush()  # said when it happens, not when the interpreter exits
