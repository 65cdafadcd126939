from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE
from oauthclients.models import Client


class Command(BaseCommand):
    help = "Register an OAuth client for a user; prints its client_id and, once, its secret."

    def add_arguments(self, parser):
        parser.add_argument("owner", help="Username of the client's owner.")
        parser.add_argument("name", help="The client's name, shown to users on the consent page.")
        parser.add_argument(
            "--redirect-uri", action="append", default=[], dest="redirect_uris", help="Repeat for several."
        )
        parser.add_argument(
            "--grant-type",
            action="append",
            dest="grant_types",
            help=f"RFC 7591 grant type; repeat for several (default {AUTHORIZATION_CODE}).",
        )
        parser.add_argument(
            "--auth-method",
            default=Client.AuthMethod.CLIENT_SECRET_BASIC,
            choices=Client.AuthMethod.values,
            help="token_endpoint_auth_method; none makes a public client.",
        )
        parser.add_argument("--scope", default="", help="Space-separated scopes (default: the server's).")
        parser.add_argument(
            "--allow-introspection",
            action="store_true",
            help="Let this client call the introspection endpoint (resource servers, relying parties).",
        )
        parser.add_argument(
            "--first-party",
            action="store_true",
            help="One of our own apps: no consent screen, token exchange, first-party scopes.",
        )

    def handle(self, *args, **options):
        try:
            owner = get_user_model().objects.get_by_natural_key(options["owner"])
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"No user named {options['owner']!r}.") from error
        try:
            client, raw_secret = services.client_create(
                owner=owner,
                client_name=options["name"],
                redirect_uris=options["redirect_uris"],
                grant_types=options["grant_types"] or [AUTHORIZATION_CODE],
                token_endpoint_auth_method=options["auth_method"],
                scope=options["scope"],
            )
        except ValidationError as error:
            problems = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            )
            raise CommandError(problems) from error
        if options["allow_introspection"] or options["first_party"]:
            services.client_set_trust(
                client=client,
                allow_introspection=options["allow_introspection"],
                first_party=options["first_party"],
            )
        self.stdout.write(f"client_id: {client.client_id}")
        if raw_secret is None:
            self.stdout.write("Public client: no secret.")
        else:
            self.stdout.write(f"client_secret: {raw_secret}")
            self.stdout.write("Copy the secret now: only its hash is stored, and it is never shown again.")
