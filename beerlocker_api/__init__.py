"""The policy every API of the project shares: authentication, permissions, pagination, the error
handler and the OpenAPI extensions. A plain package, not an app: it has no models or templates.
Domain apps (lockers, oauthclients, socialaccounts) import it and never each other."""
