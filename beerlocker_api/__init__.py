"""The policy every API of the project shares: authentication, permissions, pagination, the error
handler and the OpenAPI extensions. A plain package, not an app: it has no models or templates.
Domain apps (lockers, oauthclients, socialaccounts) import it and never each other.

``__version__`` is the django-beerlocker distribution's version, named here once (pyproject.toml
reads it); CHANGELOG.md says what each version changed."""

__version__ = "0.2.0.dev0"
