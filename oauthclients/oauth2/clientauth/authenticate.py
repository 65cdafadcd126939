"""Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3).

A client authenticates with the one method it registered (``token_endpoint_auth_method``):
``client_secret_basic`` (HTTP Basic), ``client_secret_post`` (the body) or ``private_key_jwt``
(``assertions``). Secrets are compared through Django's hashers, in constant time; a client whose
owner was deactivated does not authenticate at all (``Client.is_usable``).
"""

import base64
import binascii
import functools
from urllib.parse import unquote_plus

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password

from beerlocker_api.compiled import CompiledLookup, Part
from oauthclients.grants import (
    TokenEndpointAuthMethod,
)
from oauthclients.models import Client
from oauthclients.oauth2.clientauth import assertions, cimd


@functools.cache
def _client_lookup() -> CompiledLookup:
    """A client by ``client_id`` (unique) with what is read of its owner: whether they are active
    (``Client.is_usable``) and their name (the consent page); compiled once, as it runs on every
    token, introspection and revocation request. The owner's other fields load if ever read."""
    owner = get_user_model()
    return CompiledLookup(
        "client_id", Part("", Client), Part("user", owner, ("id", "is_active", owner.USERNAME_FIELD))
    )


def load_client(client_id, request) -> Client | None:
    """The usable client called ``client_id``, or None; reuses the one already on ``request``."""
    # PostgreSQL rejects NUL in a text parameter with a DataError; no client_id contains one.
    if not isinstance(client_id, str) or not client_id or "\x00" in client_id:
        return None
    client = request.client
    if not (isinstance(client, Client) and client.client_id == client_id):
        client = _client_lookup().get(client_id)
    if cimd.is_metadata_document_url(client_id):
        # Known by its metadata document's URL: fetched, registered or refreshed when due, and
        # refused (even when registered) while the operator's switch or host lists say so.
        client = cimd.resolve(client_id, client)
    if client is None or not client.is_usable(request):
        return None
    return client


def basic_credentials(request) -> tuple[str, str] | None:
    """The client_id and secret of an HTTP Basic ``Authorization`` header (RFC 6749 §2.3.1: each
    form-urlencoded), or None when there is no well-formed one. Never logged: it holds the secret."""
    scheme, _, encoded = (request.headers.get("Authorization") or "").partition(" ")
    if scheme != "Basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded).decode(
            getattr(request, "encoding", None) or settings.DEFAULT_CHARSET
        )
    except (binascii.Error, UnicodeDecodeError, LookupError):
        return None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


def presented_client_credentials(request) -> bool:
    """The client sent a secret (in a Basic header or in the body) or a client assertion."""
    return (
        basic_credentials(request) is not None
        or bool(getattr(request, "client_secret", None))
        or assertions.presented(request)
    )


def _authenticate(request, client_id, secret, method) -> bool:
    client = load_client(client_id, request)
    # The method is part of the registration: a client_secret_post client never uses Basic, etc.
    # A FAPI 2.0 client authenticates with private_key_jwt only, whatever it registered before the
    # server-wide profile was switched on.
    if client is None or client.token_endpoint_auth_method != method or client.is_fapi2:
        return False
    if not check_password(secret, client.client_secret):  # DOT's hasher; constant time
        return False
    request.client = client
    return True


def authenticate_client(request) -> bool:
    """Client authentication with the method the client registered: a private_key_jwt client
    assertion (OIDC Core §9), else RFC 6749 §2.3.1 HTTP Basic, then the request body. Sets
    ``request.client`` on success. One method per request (RFC 6749 §2.3)."""
    if assertions.presented(request):
        return basic_credentials(request) is None and assertions.authenticate(request)
    basic = basic_credentials(request)
    if basic is not None:
        client_id, secret = basic
        # A client_id in the body that names another client is a failed authentication
        # (invalid_client), not oauthlib's later "server_error" for the discrepancy.
        body_client_id = getattr(request, "client_id", None)
        if (not body_client_id or body_client_id == client_id) and _authenticate(
            request, client_id, secret, TokenEndpointAuthMethod.CLIENT_SECRET_BASIC
        ):
            return True
    secret = getattr(request, "client_secret", None) or ""
    return _authenticate(request, request.client_id, secret, TokenEndpointAuthMethod.CLIENT_SECRET_POST)
