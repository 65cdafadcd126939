from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users: the user API, the ``user_*`` services, sign-up and the account pages.

    A project-level app like ``api``: it may use the domain apps' services (``seed_demo`` adds
    beers with ``lockers.services``), while the domain apps never import it.
    """

    name = "accounts"
    verbose_name = "Accounts"
