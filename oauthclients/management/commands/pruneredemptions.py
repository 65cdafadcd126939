from django.core.management.base import BaseCommand

from oauthclients.oauth2.tokens.codes import code_redemptions_prune
from oauthclients.oauth2.tokens.pushed_requests import pushed_requests_prune


class Command(BaseCommand):
    help = (
        "Forget redeemed authorization codes whose tokens have all expired or been revoked, and "
        "pushed authorization requests that expired unused."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Pruned {code_redemptions_prune()} redeemed authorization code(s).")
        self.stdout.write(f"Pruned {pushed_requests_prune()} expired pushed authorization request(s).")
