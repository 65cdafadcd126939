from django.contrib.sessions.backends.cached_db import SessionStore as DjangoCachedDBStore

from accounts.session_engines import UserSessionStoreMixin


class SessionStore(UserSessionStoreMixin, DjangoCachedDBStore):
    """Database sessions in ``accounts.UserSession``, read through the shared cache."""

    # Not Django's prefix: a cached copy written by the plain engine has no row behind it here.
    cache_key_prefix = "accounts.session_engines.cached_db"
