"""OpenID Connect RP-Initiated Logout 1.0 on DOT's ``RPInitiatedLogoutView``.

DOT does the protocol: it checks ``id_token_hint`` (signature, our ``iss``), that ``client_id``
matches it, and that ``post_logout_redirect_uri`` is one the client registered (exactly, our
``post_logout_redirect_uris``, validated like redirect URIs), adds ``state`` to the redirect, and
signs the browser out with Django's ``logout()``, which ends the session through the one
``session_end`` service and so queues back-channel logout tokens. Settings
(``OIDC_RP_INITIATED_LOGOUT_*`` in ``OAUTH2_PROVIDER``) keep tokens issued to apps alive: ending a
browser session is not revoking a phone's grant.

What this subclass adds:
- an unknown ``client_id`` is the same 400 page as any invalid request, not a 500;
- the user is asked to confirm unless the ID token names both the signed-in user and this very
  browser session (its ``sid``), so a link from anywhere cannot sign a person out silently;
- a client registered anonymously (open DCR: anyone can register any post-logout URI) never
  redirects a browser that is not signed in without the user's confirmation, so the endpoint is
  no open redirect;
- without a ``post_logout_redirect_uri`` the browser lands on the signed-out page (DOT 3.4
  redirects to "/" only when its scheme is in ``ALLOWED_REDIRECT_URI_SCHEMES``, https: on an
  http origin that was a 400 ``DisallowedRedirect`` after signing out).
"""

import contextlib
import json

from django.core.exceptions import DisallowedRedirect
from django.shortcuts import render
from jwcrypto import jwt
from jwcrypto.common import JWException
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import InvalidOIDCClientError
from oauth2_provider.models import get_application_model

from oauthclients.keys import verification_key_set
from oauthclients.oauth2.logout import backchannel


class RPInitiatedLogoutView(dot_views.RPInitiatedLogoutView):
    """``end_session_endpoint``: signs the browser out and returns it only to a registered URI."""

    template_name = "oauthclients/logout_confirm.html"

    def dispatch(self, request, *args, **kwargs):
        self.hint_sid = None
        self.logout_application = None
        self.redirect_requested = False
        return super().dispatch(request, *args, **kwargs)

    def validate_logout_request(self, id_token_hint, client_id, post_logout_redirect_uri):
        application, token_user = super().validate_logout_request(
            id_token_hint, client_id, post_logout_redirect_uri
        )
        self.logout_application = application
        self.redirect_requested = bool(post_logout_redirect_uri)
        return application, token_user

    def get_request_application(self, id_token, client_id):
        if client_id:
            application = get_application_model().objects.filter(client_id=client_id).first()
            if application is None:
                raise InvalidOIDCClientError()
            return application
        return id_token.application if id_token else None

    def validate_logout_request_user(self, id_token_hint, client_id):
        id_token = super().validate_logout_request_user(id_token_hint, client_id)
        if id_token is not None:
            # The session the ID token was issued in: remembered with its code (CodeAuthentication,
            # then AuthorizationCodeRedemption) and signed into the token as ``sid``.
            self.hint_sid = _signed_sid(id_token_hint)
        return id_token

    def must_prompt(self, token_user):
        if self.request.user.is_anonymous:
            # Nothing to sign out; only the redirect is left, and an anonymously registered
            # client's URI is anyone's: the user confirms before being sent there.
            application = self.logout_application
            return self.redirect_requested and application is not None and application.user_id is None
        if super().must_prompt(token_user):
            return True
        # The ID token belongs to the signed-in user; it must also come from this browser session.
        return not self.request.user.is_anonymous and (
            self.hint_sid is None or self.hint_sid != backchannel.session_id(self.request)
        )

    def do_logout(self, application=None, post_logout_redirect_uri=None, state=None, token_user=None):
        if post_logout_redirect_uri:
            return super().do_logout(application, post_logout_redirect_uri, state, token_user)
        # DOT 3.4 signs out (and deletes tokens if so configured), then redirects to "/" through
        # OAuth2ResponseRedirect, which raises DisallowedRedirect unless the site's own scheme is
        # in ALLOWED_REDIRECT_URI_SCHEMES (https). Its sign-out is kept, its redirect replaced by
        # the signed-out page (tests/oauthclients/test_logout.py holds DOT to this order).
        with contextlib.suppress(DisallowedRedirect):
            super().do_logout(application, None, state, token_user)
        return render(self.request, "registration/logged_out.html", {"application": application})


def _signed_sid(id_token_hint: str) -> str | None:
    """The ``sid`` claim of an ID token DOT has just verified (signature and issuer); None when
    it has none or is not one of our tokens."""
    try:
        token = jwt.JWT(jwt=id_token_hint, key=verification_key_set(), check_claims={})
        return json.loads(token.claims).get("sid")
    except (JWException, ValueError, TypeError):
        return None
