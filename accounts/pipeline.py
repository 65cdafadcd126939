"""A social-auth pipeline step (``SOCIAL_AUTH_PIPELINE``): a provider's sign-in to an account with
a second factor pauses for it, like a password sign-in does (``accounts.pages.SignInVerifyView``).

social-auth's partial pipeline stores where it stopped; the verify page resumes it with the
partial token once the code was right, and this step then lets it finish (its ``login()`` records
the second factor: ``accounts.receivers.complete_second_factor`` and oauthclients' ``record_sign_in``).
"""

from django.shortcuts import redirect
from django.urls import reverse
from social_core.pipeline.partial import partial

from accounts import factors


@partial
def second_factor(strategy, backend, user=None, current_partial=None, *args, **kwargs):
    request = getattr(strategy, "request", None)
    if request is None or not hasattr(request, "session"):
        return None  # no browser to ask (token exchange, which refuses such users itself)
    if user is None or not factors.has_second_factor(user):
        return None
    if request.user.is_authenticated and request.user.pk == user.pk:
        return None  # connecting a provider to the account already signed in here
    verified = factors.verified_for(request, user)
    if verified is not None and verified.get("resume"):
        return None  # this browser gave the code for this user moments ago: login() follows
    resume = f"{reverse('social:complete', args=(backend.name,))}?partial_token={current_partial.token}"
    factors.pending_start(request, user=user, backend=_backend_path(backend), resume=resume)
    return redirect("accounts:sign-in-verify")


def _backend_path(backend) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"
