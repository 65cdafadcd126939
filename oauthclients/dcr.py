"""RFC 7591 / 7592 dynamic client registration: DOT's views, with our services and validation.

DOT's views keep a single grant per client and check metadata their own way; these subclasses keep
DOT's switch (``DCR_ENABLED``), permission setting and registration-access-token checks, and route
every write through ``oauthclients.services`` so DCR obeys the same rules as the REST API.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, JsonResponse, QueryDict
from django.urls import reverse
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import dynamic_client_registration as dot_dcr
from rest_framework import exceptions
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.settings import api_settings

from api.permissions import IsUserWithTokenScope
from oauthclients import oidc_features, services
from oauthclients.models import AUTHORIZATION_CODE, Client
from oauthclients.serializers import ClientSerializer


class _RegistrationEndpoint:
    """Stands in for a DRF view: registering a client takes the same token scope as the REST API."""

    token_scopes = {"read": ["clients"], "write": ["clients"]}


class _UnreadBody(BaseParser):
    """Leaves the body to the registration view: authentication needs only headers and the session,
    and DRF must neither consume the stream nor turn malformed JSON into a 401."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        # A QueryDict, as DRF expects from a form body's parser (a dict made form posts a 500).
        return QueryDict()


class IsAPIUserDCRPermission:
    """Registration for a user signed in the way the API signs users in: Basic, session (with
    CSRF, enforced by DRF's session authentication) or a bearer token for a user with ``clients``.

    DOT's view reads the owner from ``request.user``, so this sets it to the authenticated user.
    """

    def has_permission(self, request) -> bool:
        drf_request = Request(
            request,
            parsers=[_UnreadBody()],
            authenticators=[auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES],
        )
        try:
            allowed = IsUserWithTokenScope().has_permission(drf_request, _RegistrationEndpoint)
        except exceptions.UnsupportedMediaType:
            # Right Basic credentials with a body that is not JSON: the view answers with RFC 7591's
            # error for that (it reads only application/json), before anything is written.
            return True
        except exceptions.APIException:
            return False
        if allowed:
            request.user = drf_request.user
        return allowed


def _metadata_error(error: ValidationError) -> JsonResponse:
    """RFC 7591 §3.2.2: ``invalid_redirect_uri`` when a redirect URI is at fault, else
    ``invalid_client_metadata``; the description carries every message, keyed by field."""
    code = "invalid_redirect_uri" if "redirect_uris" in error.message_dict else "invalid_client_metadata"
    return dot_dcr._error_response(code, dot_dcr._validation_error_description(error))


def _read_json(request):
    """The request's JSON object, or an error response.

    Only ``application/json`` is read (RFC 7591 §3.1): a cross-site HTML form cannot send it, which
    is what keeps a browser's cached Basic credentials from registering clients (the view is
    ``csrf_exempt``, as DOT's is).
    """
    if request.content_type != "application/json":
        return None, dot_dcr._error_response(
            "invalid_client_metadata", "Send the client metadata as application/json."
        )
    try:
        return dot_dcr._parse_metadata(request.body)
    except RecursionError:  # nested deeper than json can decode: malformed JSON too
        return None, dot_dcr._error_response("invalid_client_metadata", "Request body must be valid JSON")


def _unsupported(data: dict):
    """An ``invalid_client_metadata`` response for metadata asking what the server does not do."""
    problem = oidc_features.unsupported_registration_metadata(data)
    return dot_dcr._error_response("invalid_client_metadata", problem) if problem else None


def _service_arguments(data: dict) -> dict:
    """RFC 7591 metadata as the services' arguments; other members are ignored (RFC 7591 §2)."""
    return {
        "client_name": data.get("client_name", ""),
        "redirect_uris": data.get("redirect_uris", []),
        # RFC 7591 §2: the defaults when a client leaves these out.
        "grant_types": data.get("grant_types", [AUTHORIZATION_CODE]),
        "token_endpoint_auth_method": data.get(
            "token_endpoint_auth_method", Client.AuthMethod.CLIENT_SECRET_BASIC
        ),
        # Without a scope, a client registered here is a relying party too (OIDC Registration):
        # openid plus the default client scope.
        "scope": data.get("scope") or oidc_features.registration_default_scope(),
    }


def _issue_registration_token(client: Client) -> str:
    # Issued with no user, unlike DOT's: a token that manages one client registration must never
    # act as a person on the API, and the API refuses user-less tokens wherever a user is needed.
    return dot_dcr._issue_registration_token(client, None)


def _registration_response(request, client: Client, registration_token: str, raw_secret=None, status=200):
    data = {
        **ClientSerializer(client).data,
        "registration_access_token": registration_token,
        "registration_client_uri": request.build_absolute_uri(
            reverse("oauthclients:dcr-register-management", kwargs={"client_id": client.client_id})
        ),
    }
    if raw_secret is not None:
        data["client_secret"] = raw_secret
        # RFC 7591 §3.2.1: 0 means the secret does not expire.
        data["client_secret_expires_at"] = 0
    response = JsonResponse(data, status=status)
    response["Cache-Control"] = "no-store"
    return response


class ClientRegistrationView(dot_dcr.DynamicClientRegistrationView):
    """RFC 7591 ``POST /api/oauth2/register``: a signed-in user registers a client; the response
    carries its secret and registration access token, both shown this once."""

    def post(self, request, *args, **kwargs):
        if not dot_dcr._check_permissions(request):
            return dot_dcr._error_response(
                "access_denied",
                "Sign in (Basic, session, or a bearer token with the clients scope).",
                status=401,
            )
        data, error = _read_json(request)
        error = error or _unsupported(data)
        if error:
            return error
        try:
            with transaction.atomic():
                client, raw_secret = services.client_create(
                    owner=request.user,
                    registration_source=Client.RegistrationSource.DCR,
                    **_service_arguments(data),
                )
                registration_token = _issue_registration_token(client)
        except ValidationError as exc:
            return _metadata_error(exc)
        return _registration_response(request, client, registration_token, raw_secret, status=201)


class ClientConfigurationView(dot_dcr.DynamicClientRegistrationManagementView):
    """RFC 7592 ``/api/oauth2/register/{client_id}``: read, replace or delete a dynamically
    registered client with its registration access token (DOT checks the token)."""

    def get(self, request, client_id, *args, **kwargs):
        auth = self._authenticate_registration_request(request, client_id)
        if isinstance(auth, HttpResponse):
            return auth
        return _registration_response(request, auth.application, auth.presented_token)

    def put(self, request, client_id, *args, **kwargs):
        auth = self._authenticate_registration_request(request, client_id)
        if isinstance(auth, HttpResponse):
            return auth
        data, error = _read_json(request)
        error = error or _unsupported(data)
        if error:
            return error
        if data.get("client_id", client_id) != client_id:
            # RFC 7592 §2.2: the body's client_id must be the one being replaced.
            return dot_dcr._error_response("invalid_client_metadata", "client_id does not match the URL.")
        registration_token = auth.presented_token
        try:
            with transaction.atomic():
                client = services.client_update(client=auth.application, **_service_arguments(data))
                if oauth2_settings.DCR_ROTATE_REGISTRATION_TOKEN_ON_UPDATE:
                    registration_token = _issue_registration_token(client)
                    auth.registration_token.delete()
        except ValidationError as exc:
            return _metadata_error(exc)
        return _registration_response(request, client, registration_token)

    def delete(self, request, client_id, *args, **kwargs):
        auth = self._authenticate_registration_request(request, client_id)
        if isinstance(auth, HttpResponse):
            return auth
        services.client_delete(client=auth.application)
        return HttpResponse(status=204)
