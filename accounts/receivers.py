"""Django's sign-in and sign-out signals, the only hook every way in shares (the sign-in page, the
admin, social sign-in, the test client): they stamp and end browser sessions."""

from accounts import services
from accounts.sessions import current_session, session_stamp_sign_in


def stamp_signed_in_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session_stamp_sign_in(request)


def end_signed_out_session(sender, request, user, **kwargs):
    # Sent by ``logout()`` before it flushes the session; ending it here sends ``session_ended``
    # like every other end, and the flush then finds nothing left to delete.
    if request is None or not hasattr(request, "session"):
        return
    session = current_session(request)
    if session is not None:
        services.session_end(session=session, by=services.EndedBy.SIGN_OUT, actor=user)
