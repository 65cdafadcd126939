"""Django's sign-in and sign-out signals, the only hook every way in shares (the sign-in page, the
admin, social sign-in, the test client): they stamp and end browser sessions."""

from django_otp import login as otp_login

from accounts import factors, services
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


def complete_second_factor(sender, request, user, **kwargs):
    """A sign-in whose second step was checked (``accounts.factors.pending_verified``) marks the
    session verified for django-otp (``request.user.is_verified()``) with that device."""
    if request is None or not hasattr(request, "session"):
        return
    verified = factors.verified_for(request, user)
    request.session.pop(factors.VERIFIED_KEY, None)
    if verified is None:
        return
    device = factors.factor_of(user, verified["device"])
    if device is not None:
        otp_login(request, device)
