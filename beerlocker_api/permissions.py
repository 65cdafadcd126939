"""Who may call an API view: the one place Basic, session and bearer-token access are combined.

A view lists the token scopes it needs per kind of method::

    token_scopes = {"read": ["beers:read"], "write": ["beers:write"]}

A user signed in with a password (Basic or session) has the user's full access. A bearer token
must act for a user and hold every scope listed for the method; a kind of method with no entry
is closed to bearer tokens. A scope may also need a level or a recent sign-in behind the token
(``BEERLOCKER_API["STEP_UP_SCOPES"]``, RFC 9470: ``beerlocker_api.stepup``).
"""

from django.apps import apps
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions

from beerlocker_api import stepup


class InsufficientScope(exceptions.PermissionDenied):
    """403 whose ``WWW-Authenticate`` tells the client which scope to ask for (RFC 6750 §3.1) and,
    given ``resource_metadata``, where to ask (RFC 9728 §5.1, as MCP's scope step-up reads it)."""

    def __init__(self, scopes, *, resource_metadata=None):
        wanted = " ".join(scopes)
        super().__init__(
            _("This token does not have the scope this request needs: %(scopes)s.") % {"scopes": wanted}
        )
        # DRF's exception handler copies ``auth_header`` into the WWW-Authenticate header.
        self.auth_header = f'Bearer realm="api", error="insufficient_scope", scope="{wanted}"'
        if resource_metadata:
            self.auth_header += f', resource_metadata="{resource_metadata}"'


def resource_metadata_url(request) -> str | None:
    """The RFC 9728 metadata URL of the resource whose authenticator accepted this request's token
    (``BearerAuthentication.get_resource_metadata_url``), else None."""
    authenticator = getattr(request, "successful_authenticator", None)
    get_url = getattr(authenticator, "get_resource_metadata_url", None)
    return get_url(request) if get_url is not None else None


def access_token(request):
    """The scoped credential the request was authenticated with, else None: a django-oauth-toolkit
    access token, or any other credential that answers the same two questions (``user_id``: whom
    it acts for, None for an application; ``allow_scopes(scopes)``), such as a project's personal
    access token. Password and session sign-ins have none: they carry the user's full access.

    Duck-typed, so an app using these classes (``lockers``) also runs in a project without an
    OAuth server, where no request carries a token.
    """
    auth = request.auth
    if auth is None or not callable(getattr(auth, "allow_scopes", None)) or not hasattr(auth, "user_id"):
        return None
    return auth


def refuse_registration_token(token):
    """A DCR registration access token (RFC 7592) manages one client registration, nothing else."""
    if not apps.is_installed("oauth2_provider"):
        return
    from oauth2_provider.settings import oauth2_settings

    if oauth2_settings.DCR_REGISTRATION_SCOPE in (getattr(token, "scope", "") or "").split():
        raise exceptions.PermissionDenied(
            _("A client registration access token only manages its registration; it cannot call the API.")
        )


def required_token_scopes(request, view):
    """The scopes a bearer token needs for this request, or None when tokens may not make it."""
    kind = "read" if request.method in permissions.SAFE_METHODS else "write"
    return getattr(view, "token_scopes", {}).get(kind)


def require_token_scopes(request, view, token, *, refusal):
    """Raise unless ``token`` holds the scopes the view lists for this method (``refusal`` when it
    lists none: tokens may not make this request at all)."""
    scopes = required_token_scopes(request, view)
    if scopes is None:
        raise exceptions.PermissionDenied(refusal)
    if not token.allow_scopes(scopes):
        raise InsufficientScope(scopes, resource_metadata=resource_metadata_url(request))
    return scopes


class IsUserWithTokenScope(permissions.BasePermission):
    """A signed-in user; when signed in by bearer token, a token for a user with the view's scopes."""

    def has_permission(self, request, view):
        token = access_token(request)
        if token is not None:
            refuse_registration_token(token)
            if token.user_id is None:
                raise exceptions.PermissionDenied(
                    _("This token was issued to an application, not for a user, so it cannot act as one.")
                )
            scopes = require_token_scopes(
                request,
                view,
                token,
                refusal=(
                    _("This endpoint does not accept bearer tokens; sign in with your username and password.")
                ),
            )
            # RFC 9470: a scope may need more of the sign-in behind the token than its scopes say.
            stepup.require_sign_in(request, scopes, token)
        return bool(request.user and request.user.is_authenticated)


class IsApplicationWithTokenScope(permissions.BasePermission):
    """A bearer token issued to an application itself (client credentials) holding the view's scopes.

    The counterpart of ``IsUserWithTokenScope``: site-wide data is for applications, and a token
    acting for a user, a password or a session never reaches it.
    """

    def has_permission(self, request, view):
        if request.auth is None and not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 with the authentication challenge
        token = access_token(request)
        if token is None or token.user_id is not None:
            raise exceptions.PermissionDenied(
                _("This endpoint needs an application token (client credentials grant).")
            )
        refuse_registration_token(token)
        require_token_scopes(
            request, view, token, refusal=_("This endpoint does not accept this method with a token.")
        )
        return True
