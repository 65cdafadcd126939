from django.core.management.base import BaseCommand

from oauthclients.oauth2.tokens.codes import code_redemptions_prune


class Command(BaseCommand):
    help = "Forget redeemed authorization codes whose tokens have all expired or been revoked."

    def handle(self, *args, **options):
        self.stdout.write(f"Pruned {code_redemptions_prune()} redeemed authorization code(s).")
