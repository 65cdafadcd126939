"""factory_boy factories that build state the way the product does: through the services.

A factory's declarations are the service's arguments. The few model fields no service sets (a
user's staff flags, a client's ID-token algorithm) are passed as extra keyword arguments and
written after the service has run (``store_as_is``), so a test can still say "a client without
RS256".
"""

import factory
from django.contrib.auth import get_user_model

from accounts.services import user_create
from lockers.models import Beer
from lockers.services import beer_create
from oauthclients import services as client_services
from oauthclients.grants import AUTHORIZATION_CODE, REFRESH_TOKEN
from oauthclients.models import Client

PASSWORD = "correct horse battery staple"  # noqa: S105
REDIRECT_URI = "https://client.example.com/callback"


def store_as_is(instance, **fields):
    """Write ``fields`` straight to the row, past every service and rule: for the model fields no
    service sets, and for tests of the server's own checks on a registration the services refuse
    today (a row from before a rule existed)."""
    if fields:
        for name, value in fields.items():
            setattr(instance, name, value)
        instance.save(update_fields=list(fields))
    return instance


class UserFactory(factory.Factory):
    """A user created by ``user_create`` (so Django's password validators ran); ``password=None``
    gives an account without a usable password, as social sign-up creates."""

    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *, username, email, password, **extra):
        user = user_create(username=username, email=email, password=password or PASSWORD)
        if password is None:
            user.set_unusable_password()
            extra["password"] = user.password
        return store_as_is(user, **extra)


class BeerFactory(factory.Factory):
    """A beer added to its owner's locker by ``beer_create``."""

    class Meta:
        model = Beer

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Beer {n}")
    type = "IPA"
    quantity = 1

    @classmethod
    def _create(cls, model_class, *, owner, name, type, quantity):  # noqa: A002 - the service's name
        return beer_create(owner=owner, name=name, type=type, quantity=quantity)


class ClientFactory(factory.Factory):
    """A client registered by ``client_create``, with its raw secret on ``.raw_secret`` (None for a
    public client, i.e. ``token_endpoint_auth_method="none"``). ``redirect_uris`` may be a list or
    a space-separated string. ``first_party`` and ``allow_introspection`` go through
    ``client_set_trust``, as an administrator sets them."""

    class Meta:
        model = Client

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    redirect_uris = (REDIRECT_URI,)
    grant_types = (AUTHORIZATION_CODE, REFRESH_TOKEN)
    token_endpoint_auth_method = Client.AuthMethod.CLIENT_SECRET_BASIC
    scope = ""
    first_party = False
    allow_introspection = False

    @classmethod
    def _create(
        cls,
        model_class,
        *,
        user,
        name,
        redirect_uris,
        grant_types,
        token_endpoint_auth_method,
        scope,
        first_party,
        allow_introspection,
        **extra,
    ):
        if isinstance(redirect_uris, str):
            redirect_uris = redirect_uris.split()
        client, raw_secret = client_services.client_create(
            owner=user,
            client_name=name,
            redirect_uris=list(redirect_uris),
            grant_types=list(grant_types),
            token_endpoint_auth_method=token_endpoint_auth_method,
            scope=scope,
        )
        if first_party or allow_introspection:
            client_services.client_set_trust(
                client=client, allow_introspection=allow_introspection, first_party=first_party
            )
        client.raw_secret = raw_secret
        return store_as_is(client, **extra)


def make_client(*, secret=True, **fields):
    """A registered client and its raw secret; ``secret=False`` registers a public client (None)."""
    if not secret:
        fields.setdefault("token_endpoint_auth_method", Client.AuthMethod.NONE)
    client = ClientFactory(**fields)
    return client, client.raw_secret
