"""Session engines that keep each session in ``accounts.UserSession`` (``SESSION_ENGINE``).

``accounts.session_engines.db``: the database only. ``accounts.session_engines.cached_db``: the
database, read through the shared cache (Redis in production). Never the cached one with a
per-process cache: ending a session must reach every server process at once.

The session's facts (public id, start, last activity, address, user agent) live in the session's
own data under the keys below, so rotating the key (``cycle_key``) carries them over; the engine
copies them into the row's columns on every save.
"""

from datetime import UTC, datetime

from django.contrib import auth
from django.utils import timezone

PUBLIC_ID_KEY = "_session_public_id"
STARTED_KEY = "_session_started"
SEEN_KEY = "_session_seen"
IP_KEY = "_session_ip"
USER_AGENT_KEY = "_session_user_agent"


def _time(timestamp):
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None


class UserSessionStoreMixin:
    """Fills ``UserSession``'s columns from the session's data (Django's documented extension point)."""

    @classmethod
    def get_model_class(cls):
        from accounts.models import UserSession  # the engine module is imported before apps are ready

        return UserSession

    def create_model_instance(self, data):
        return _fill(super().create_model_instance(data), data)

    async def acreate_model_instance(self, data):
        return _fill(await super().acreate_model_instance(data), data)

    def flush(self):
        """Django's ``login()`` flushes the session a browser had for another account (and its
        ``AuthenticationMiddleware`` one whose password hash no longer matches): a signed-in
        session ends then, and like every end it goes through ``session_end`` (``session_ended``,
        back-channel logout) rather than vanishing. ``logout()`` ended it already: nothing left."""
        from accounts import services  # services import the models, which import this module

        row = self.session_key and self.get_model_class().objects.filter(session_key=self.session_key)
        session = row.exclude(user=None).first() if row else None
        if session is not None:
            services.session_end(session=session, by=services.EndedBy.REPLACED)
        super().flush()

    @classmethod
    def clear_expired(cls):
        """``manage.py clearsessions``: an expired signed-in session ends through ``session_end``
        too (its applications hear of it by back-channel logout), then the rest go as Django's do."""
        from accounts import services

        expired = cls.get_model_class().objects.filter(expire_date__lt=timezone.now())
        for session in expired.exclude(user=None).iterator():
            services.session_end(session=session, by=services.EndedBy.EXPIRED)
        super().clear_expired()


def _fill(obj, data):
    obj.user_id = data.get(auth.SESSION_KEY)
    obj.public_id = data.get(PUBLIC_ID_KEY, "")
    obj.started = _time(data.get(STARTED_KEY))
    obj.last_active = _time(data.get(SEEN_KEY))
    obj.ip = data.get(IP_KEY)
    obj.user_agent = data.get(USER_AGENT_KEY, "")
    return obj
