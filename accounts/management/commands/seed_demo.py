import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from oauth2_provider.scopes import get_scopes_backend

# accounts is a project-level app: it may call a domain app's services (never the reverse).
from accounts.services import user_create
from lockers.models import Beer
from lockers.services import beer_create
from oauthclients import conf as oauthclients_conf
from oauthclients import services as client_services
from oauthclients.grants import AUTHORIZATION_CODE, TokenEndpointAuthMethod
from oauthclients.models import Client
from oauthclients.openapi import DOCS_REDIRECT_PATH

API_DOCS_CLIENT_NAME = "API docs (Swagger UI)"

DEMO_BEERS = [
    ("Pliny the Elder", "Double IPA", 2),
    ("Orval", "Trappist", 6),
    ("Weihenstephaner Hefeweissbier", "Hefeweizen", 4),
]


def _stored_passwords(path: Path, usernames: list[str]) -> dict[str, str]:
    """The development passwords kept in ``path`` (an ignored file, owner-only), one per username,
    made up the first time: a restart keeps them, so a signed-in browser stays signed in."""
    stored = json.loads(path.read_text()) if path.is_file() else {}
    missing = [name for name in usernames if not stored.get(name)]
    if missing:
        stored |= {name: secrets.token_urlsafe(12) for name in missing}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(stored, file, indent=2)
    return stored


class Command(BaseCommand):
    help = (
        "Create the demo user (with a few beers) and an administrator for local development, with "
        "passwords kept in var/demo-passwords.json so they stay the same on every start."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--admin-username", default="admin")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where the server will listen.")
        parser.add_argument(
            "--passwords-file",
            default=str(Path(settings.BASE_DIR) / "var" / "demo-passwords.json"),
            help="Where the development passwords are kept (created on first use).",
        )

    @transaction.atomic
    def handle(self, *args, username, admin_username, url, passwords_file, **options):
        passwords = _stored_passwords(Path(passwords_file), [username, admin_username])
        demo = self._ensure_user(username, passwords[username])
        if not Beer.objects.owned_by(demo).exists():
            for name, beer_type, quantity in DEMO_BEERS:
                beer_create(owner=demo, name=name, type=beer_type, quantity=quantity)
        admin = self._ensure_user(admin_username, passwords[admin_username])
        if not (admin.is_staff and admin.is_superuser):
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])
        docs_client = self._ensure_docs_client(admin, url)
        password, admin_password = passwords[username], passwords[admin_username]
        self.stdout.write(
            f"""
Beer Locker is starting on {url}/
  Demo user:     {username}   password: {password}
  Administrator: {admin_username}   password: {admin_password}   ({url}/admin/: users, beers, clients, tokens)
  (kept in {passwords_file}: the same on every start; delete the file for new ones)

Try it:
  curl -u {username}:{password} {url}/api/beers
  curl -u {username}:{password} -H 'Content-Type: application/json' \\
       -d '{{"name": "Westvleteren 12", "type": "Quadrupel", "quantity": 1}}' {url}/api/beers
Web: {url}/ (sign in at {url}/accounts/login/)   API: {url}/api/   API docs: {url}/api/docs
{docs_client}"""
        )

    def _ensure_docs_client(self, owner, url) -> str:
        """The public client the API docs' Authorize dialog uses (``settings.API_DOCS_CLIENT_ID``,
        prefilled there), with the docs' redirect URI on this server; a line saying so."""
        client_id = getattr(settings, "API_DOCS_CLIENT_ID", "")
        if not client_id:
            return ""
        redirect_uris = list(
            dict.fromkeys(
                f"{origin}/api/docs/{DOCS_REDIRECT_PATH}"
                for origin in (url, url.replace("://0.0.0.0", "://127.0.0.1"))
                if "://0.0.0.0" not in origin
            )
        )
        client = Client.objects.filter(client_id=client_id).first()
        try:
            self._register_docs_client(client, client_id, owner, redirect_uris)
        except ValidationError as exc:  # e.g. plain http on an address that is not loopback
            problems = " ".join(message for messages in exc.message_dict.values() for message in messages)
            return f"API docs' Authorize: {client_id!r} not registered for {url}: {problems}\n"
        return f"API docs' Authorize: the public client {client_id!r} ({API_DOCS_CLIENT_NAME}), no secret\n"

    def _register_docs_client(self, client, client_id, owner, redirect_uris):
        if client is None:
            client_services.client_create(
                owner=owner,
                client_id=client_id,
                client_name=API_DOCS_CLIENT_NAME,
                redirect_uris=redirect_uris,
                grant_types=[AUTHORIZATION_CODE],
                token_endpoint_auth_method=TokenEndpointAuthMethod.NONE,
                scope=" ".join(_user_scopes()),
            )
        elif missing := [uri for uri in redirect_uris if uri not in client.redirect_uris.split()]:
            # Served on another address this time (make run HOST=... PORT=...).
            client_services.client_update(
                client=client, redirect_uris=[*client.redirect_uris.split(), *missing]
            )

    def _ensure_user(self, username, password):
        """The user with this password; an existing one's password is set only when it differs
        (setting it again would sign out every session of that user)."""
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            return user_create(username=username, password=password, email=f"{username}@example.com")
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return user


def _user_scopes() -> list[str]:
    """Every scope a user may grant a third-party client: not the applications-only ones (client
    credentials) nor the first-party ones (an administrator's decision)."""
    withheld = {*oauthclients_conf.get("APP_SCOPES"), *oauthclients_conf.get("FIRST_PARTY_SCOPES")}
    return [scope for scope in get_scopes_backend().get_all_scopes() if scope not in withheld]
