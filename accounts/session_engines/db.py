from django.contrib.sessions.backends.db import SessionStore as DjangoDBStore

from accounts.session_engines import UserSessionStoreMixin


class SessionStore(UserSessionStoreMixin, DjangoDBStore):
    """Database sessions in ``accounts.UserSession``."""
