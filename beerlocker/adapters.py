"""Glue between apps that never import each other, named by dotted path in settings.

``socialaccounts`` (a provider's back-channel logout) must end browser sessions the way every
other end does, through ``accounts.services.session_end``, so the activity log hears of it and our
own relying parties get their back-channel logout tokens in turn.
"""

from accounts import services
from accounts.models import UserSession


def end_user_sessions_where(*, user_id, where) -> int:
    """End the live sessions of user ``user_id`` whose data satisfies ``where``; how many ended.
    One query for the user's sessions (indexed), then each one's data is read."""
    ended = 0
    for session in UserSession.objects.live().filter(user_id=user_id).select_for_update():
        if where(session.get_decoded()):
            services.session_end(session=session, by=services.EndedBy.PROVIDER_LOGOUT, actor=None)
            ended += 1
    return ended
