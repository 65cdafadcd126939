import factory
from django.contrib.auth import get_user_model

from lockers.models import Beer
from oauthclients.grants import AUTHORIZATION_CODE, REFRESH_TOKEN
from oauthclients.models import Client

PASSWORD = "correct horse battery staple"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class BeerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Beer

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Beer {n}")
    type = "IPA"
    quantity = 1


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    redirect_uris = "https://client.example.com/callback"
    client_type = Client.CLIENT_CONFIDENTIAL
    authorization_grant_type = Client.GRANT_AUTHORIZATION_CODE
    grant_types = factory.LazyFunction(lambda: [AUTHORIZATION_CODE, REFRESH_TOKEN])
