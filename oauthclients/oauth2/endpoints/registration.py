"""RFC 7591 / 7592 dynamic client registration, owned here outright.

DOT's views keep a single grant per client and check metadata their own way. These honour DOT's
``DCR_*`` settings (``DCR_ENABLED``, ``DCR_REGISTRATION_SCOPE``, the registration token's
lifetime and rotation) and route every write through ``oauthclients.services``, so DCR obeys the
same rules as the REST API.
"""

import hashlib
import json
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.compat import login_not_required
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model, set_token_value
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import parse_bearer_token
from rest_framework import exceptions
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from beerlocker_api.parsers import JSONParser, too_deep
from beerlocker_api.permissions import IsUserWithTokenScope
from oauthclients import conf, services
from oauthclients.grants import OWNERLESS_REFUSED_GRANT_TYPES
from oauthclients.metadata import with_defaults
from oauthclients.models import Client
from oauthclients.oauth2.oidc import features
from oauthclients.serializers import ClientSerializer

SIGN_IN = "Sign in (Basic, session, or a bearer token with the clients scope)."
JSON_ONLY = "Send the client metadata as application/json."
NOT_JSON = "Request body must be valid JSON"
NOT_AN_OBJECT = "Request body must be a JSON object"
# RFC 7591 §3.2.2's error codes (beside RFC 6750's invalid_token and access_denied for the caller).
INVALID_CLIENT_METADATA = "invalid_client_metadata"
INVALID_REDIRECT_URI = "invalid_redirect_uri"
REGISTRATION_ERRORS = (INVALID_CLIENT_METADATA, INVALID_REDIRECT_URI)


def registration_error(error: str, description: str, status: int = 400) -> JsonResponse:
    """An RFC 7591 §3.2.2 error; a 401 carries the Bearer challenge (RFC 6750 §3)."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    if status == 401:
        # No error code in the challenge when no bearer token was tried (RFC 6750 §3.1).
        response["WWW-Authenticate"] = (
            f'Bearer error="invalid_token", error_description="{description}"'
            if error == "invalid_token"
            else "Bearer"
        )
    return response


def _metadata_error(error: ValidationError) -> JsonResponse:
    """``invalid_redirect_uri`` when a redirect URI is at fault, else ``invalid_client_metadata``;
    the description carries every message, keyed by field (never an exception's repr)."""
    code = INVALID_REDIRECT_URI if "redirect_uris" in error.message_dict else INVALID_CLIENT_METADATA
    description = "; ".join(
        f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
    )
    return registration_error(code, description)


def _service_arguments(data: dict) -> dict:
    """RFC 7591 metadata as the services' arguments, the default for each member left out; other
    members are ignored (RFC 7591 §2)."""
    arguments = with_defaults(data)
    # Without a scope, a client registered here is a relying party too (OIDC Registration):
    # openid plus the default client scope.
    arguments["scope"] = data.get("scope") or features.registration_default_scope()
    return arguments


def _unsupported(data: dict) -> JsonResponse | None:
    """``invalid_client_metadata`` for metadata asking what the server does not do, else None."""
    problem = features.unsupported_registration_metadata(data)
    return registration_error(INVALID_CLIENT_METADATA, problem) if problem else None


def _ownerless_problem(arguments: dict) -> JsonResponse | None:
    """An anonymously registered client is a relying party: it acts for the users who sign in
    through it, never for itself (client credentials would hand application scopes to anyone),
    and only with the user's consent: the password grant takes the user's password without any
    consent screen, and the implicit grant hands tokens to the front channel without a code."""
    refused = [
        grant for grant in OWNERLESS_REFUSED_GRANT_TYPES if grant in (arguments.get("grant_types") or [])
    ]
    if refused:
        return registration_error(
            INVALID_CLIENT_METADATA,
            f"grant_types: a client registered without a signed-in owner cannot use {', '.join(refused)}.",
        )
    return None


class MayRegister(IsUserWithTokenScope):
    """A signed-in user (``IsUserWithTokenScope``); with ``OAUTHCLIENTS["DCR_OPEN"]``, also a
    caller who presents no credentials at all (RFC 7591 §3 open registration)."""

    def has_permission(self, request, view):
        if conf.get("DCR_OPEN") and request.auth is None and not request.user.is_authenticated:
            return True
        return super().has_permission(request, view)


class OpenRegistrationThrottle(AnonRateThrottle):
    """Anonymous registrations per client address (the ``dcr`` rate); a signed-in user's are not
    counted here, as they answer to the user's account."""

    scope = "dcr"


def registration_token_issue(*, client: Client) -> str:
    """A new registration access token for ``client``; returns its raw value (only its checksum is
    stored). Issued with no user: a token that manages one client registration must never act as a
    person on the API, and the API refuses user-less tokens wherever a user is needed."""
    seconds = oauth2_settings.DCR_REGISTRATION_TOKEN_EXPIRE_SECONDS
    expires = (
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
        if seconds is None
        else timezone.now() + timedelta(seconds=seconds)
    )
    raw = generate_client_secret()
    token = get_access_token_model()(
        application=client, user=None, expires=expires, scope=oauth2_settings.DCR_REGISTRATION_SCOPE
    )
    set_token_value(token, raw)
    token.save()
    return raw


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


class DCREnabledMixin:
    """404 unless ``OAUTH2_PROVIDER["DCR_ENABLED"]``."""

    def dispatch(self, request, *args, **kwargs):
        if not oauth2_settings.DCR_ENABLED:
            return JsonResponse({"error": "not_found"}, status=404)
        return super().dispatch(request, *args, **kwargs)


@method_decorator(login_not_required, name="dispatch")
class ClientRegistrationView(DCREnabledMixin, APIView):
    """RFC 7591 ``POST /api/oauth2/register``: a user signed in the way the API signs users in
    (Basic, session with CSRF, or a bearer token with ``clients``) registers a client; the response
    carries its secret and registration access token, both shown this once. With
    ``OAUTHCLIENTS["DCR_OPEN"]`` anyone may register (throttled per address): the client has no
    owner, so no one's developer portal lists it; its registration token manages it.

    Only ``application/json`` is read (RFC 7591 §3.1): a cross-site HTML form cannot send it, which
    is what keeps a browser's cached Basic credentials from registering clients.
    """

    permission_classes = [MayRegister]
    throttle_classes = [OpenRegistrationThrottle]
    # An OAuth endpoint like the token endpoint: RFC 7591 documents it, not the API schema.
    schema = None
    token_scopes = {"read": ["clients"], "write": ["clients"]}
    parser_classes = [JSONParser]  # ours: JSON nested too deep is a ParseError, not a 500

    def handle_exception(self, exc):
        # RFC 7591 error JSON, not DRF's {"detail": ...}.
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return registration_error("access_denied", SIGN_IN, status=401)
        if isinstance(exc, exceptions.PermissionDenied):
            return registration_error("access_denied", SIGN_IN, status=401)
        if isinstance(exc, exceptions.UnsupportedMediaType):
            return registration_error(INVALID_CLIENT_METADATA, JSON_ONLY)
        if isinstance(exc, exceptions.ParseError):
            return registration_error(INVALID_CLIENT_METADATA, NOT_JSON)
        return super().handle_exception(exc)

    def post(self, request, *args, **kwargs):
        if request.stream is None:
            return registration_error(INVALID_CLIENT_METADATA, NOT_JSON)
        data = request.data
        if not isinstance(data, dict):
            return registration_error(INVALID_CLIENT_METADATA, NOT_AN_OBJECT)
        if unsupported := _unsupported(data):
            return unsupported
        owner = request.user if request.user.is_authenticated else None
        arguments = _service_arguments(data)
        if owner is None and (problem := _ownerless_problem(arguments)):
            return problem
        try:
            with transaction.atomic():
                client, raw_secret = services.client_create(
                    owner=owner, registration_source=Client.RegistrationSource.DCR, **arguments
                )
                registration_token = registration_token_issue(client=client)
        except ValidationError as exc:
            return _metadata_error(exc)
        return _registration_response(request, client, registration_token, raw_secret, status=201)


def _read_json(request):
    """The request's JSON object, or an error response (RFC 7592 §2.2 sends the full metadata)."""
    if request.content_type != "application/json":
        return None, registration_error(INVALID_CLIENT_METADATA, JSON_ONLY)
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can decode
        return None, registration_error(INVALID_CLIENT_METADATA, NOT_JSON)
    if not isinstance(data, dict):
        return None, registration_error(INVALID_CLIENT_METADATA, NOT_AN_OBJECT)
    if too_deep(data):  # however deep this Python decodes, no client metadata nests like that
        return None, registration_error(INVALID_CLIENT_METADATA, NOT_JSON)
    return data, None


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class ClientConfigurationView(DCREnabledMixin, View):
    """RFC 7592 ``/api/oauth2/register/{client_id}``: read, replace or delete a dynamically
    registered client with its registration access token."""

    http_method_names = ["get", "put", "delete", "options"]

    def authenticate(self, request, client_id):
        """The registration token presented for ``client_id`` and its raw value, or an error."""
        presented = parse_bearer_token(request.headers.get("Authorization", ""))
        if presented is None:
            return None, registration_error("invalid_token", "Registration access token required", 401)
        checksum = hashlib.sha256(presented.encode()).hexdigest()
        tokens = get_access_token_model().objects.select_related("application")
        token = tokens.filter(token_checksum=checksum).first()
        if token is None:
            return None, registration_error("invalid_token", "Invalid registration access token", 401)
        if not token.is_valid([oauth2_settings.DCR_REGISTRATION_SCOPE]):
            return None, registration_error(
                "invalid_token", "Registration access token is expired or invalid", 401
            )
        client = token.application
        # 401, not 403 or 404: the token is not valid for this URI, and whether the client exists
        # is not revealed.
        if client is None or client.client_id != client_id:
            return None, registration_error("invalid_token", "Token does not match client_id", 401)
        # Only a dynamically registered client is managed here, so a token that carries the
        # registration scope by mistake cannot reconfigure a manual client.
        if client.registration_source != Client.RegistrationSource.DCR:
            return None, registration_error(
                "invalid_token", "Token was not issued by the registration endpoint", 401
            )
        if not client.is_usable(request):
            return None, registration_error("invalid_token", "The client's owner account is disabled", 401)
        return (token, presented), None

    def get(self, request, client_id):
        auth, error = self.authenticate(request, client_id)
        if error:
            return error
        token, presented = auth
        return _registration_response(request, token.application, presented)

    def put(self, request, client_id):
        auth, error = self.authenticate(request, client_id)
        if error:
            return error
        token, registration_token = auth
        data, error = _read_json(request)
        error = error or _unsupported(data)
        if error:
            return error
        if data.get("client_id", client_id) != client_id:
            # RFC 7592 §2.2: the body's client_id must be the one being replaced.
            return registration_error(INVALID_CLIENT_METADATA, "client_id does not match the URL.")
        arguments = _service_arguments(data)
        if token.application.user_id is None and (problem := _ownerless_problem(arguments)):
            return problem
        try:
            with transaction.atomic():
                client = services.client_update(client=token.application, **arguments)
                if oauth2_settings.DCR_ROTATE_REGISTRATION_TOKEN_ON_UPDATE:
                    registration_token = registration_token_issue(client=client)
                    token.delete()
        except ValidationError as exc:
            return _metadata_error(exc)
        return _registration_response(request, client, registration_token)

    def delete(self, request, client_id):
        auth, error = self.authenticate(request, client_id)
        if error:
            return error
        token, _presented = auth
        services.client_delete(client=token.application)
        return HttpResponse(status=204)
