import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

# accounts is a project-level app: it may call a domain app's services (never the reverse).
from accounts.services import user_create
from lockers.models import Beer
from lockers.services import beer_create

DEMO_BEERS = [
    ("Pliny the Elder", "Double IPA", 2),
    ("Orval", "Trappist", 6),
    ("Weihenstephaner Hefeweissbier", "Hefeweizen", 4),
]


class Command(BaseCommand):
    help = "Create (or reset) the demo user with a fresh random password and a few beers."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where the server will listen.")

    @transaction.atomic
    def handle(self, *args, username, url, **options):
        password = secrets.token_urlsafe(12)
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            user = user_create(username=username, password=password, email=f"{username}@example.com")
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        if not Beer.objects.owned_by(user).exists():
            for name, beer_type, quantity in DEMO_BEERS:
                beer_create(owner=user, name=name, type=beer_type, quantity=quantity)
        self.stdout.write(
            f"""
Beer Locker is starting on {url}/
  Demo user: {username}   password: {password}   (a new password on every start)

Try it:
  curl -u {username}:{password} {url}/api/beers
  curl -u {username}:{password} -H 'Content-Type: application/json' \\
       -d '{{"name": "Westvleteren 12", "type": "Quadrupel", "quantity": 1}}' {url}/api/beers
  curl -H 'Content-Type: application/json' \\
       -d '{{"username": "alice", "password": "a long passphrase"}}' {url}/api/users
Web: {url}/ (sign in at {url}/accounts/login/)   API docs: {url}/api/docs
Browsable API: {url}/api/beers (after signing in)
"""
        )
