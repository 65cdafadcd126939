"""Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a client known by
the https URL of a JSON document describing it, which nobody registered here beforehand.

On first use (authorization or token endpoint, through ``authenticate.load_client``) the server
fetches the document through ``oauthclients.outbound`` (public addresses only, a hard wall-clock
deadline, a size cap, one of the shared request slots), validates it with the same rules as any
registration (``validation.validate_metadata_document``) and registers the client as a ``Client``
row without an owner (``services.client_register_from_document``): the tokens' tables need one.
The row is used until ``cimd_expires_at`` (the document's Cache-Control ``max-age``, within
``CIMD_MIN_CACHE_SECONDS`` and ``CIMD_MAX_CACHE_SECONDS``), then the document is fetched again.

A failed fetch is remembered for ``OUTBOUND_FAILURE_CACHE_SECONDS`` (a client_id cannot make the
server fetch on every request). A document that answers but is not acceptable (not 200, not JSON,
too large, invalid) makes the client unknown; a host that cannot be reached at all (down, too slow,
refused, every slot taken) leaves a registered client on its last good document.

Written for DOT 3.4.1, whose own resolver (``oauth2_provider.cimd``, ``OAUTH2_PROVIDER
["CIMD_ENABLED"]``) fetches with urllib3 outside our outbound rules and is left switched off; the
model fields ``registration_source`` ("cimd") and ``cimd_expires_at`` are DOT's.
"""

import hashlib
import json
import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http.request import validate_host
from django.utils import timezone

from oauthclients import conf, outbound, services
from oauthclients.models import Client
from oauthclients.validation import client_id_url_problem, validate_metadata_document

logger = logging.getLogger(__name__)

# draft §6.6 suggests documents stay under 5 KB; room for an inline key set, still bounded.
MAX_DOCUMENT_BYTES = 16 * 1024
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
# What the failure cache remembers: the document was refused, or its host could not be reached.
_REFUSED, _UNREACHABLE = "refused", "unreachable"


class Unreachable(Exception):
    """The document's host did not answer in full (down, too slow, a refused address, HTTP 5xx)."""


def is_metadata_document_url(client_id) -> bool:
    """Whether ``client_id`` is meant as a metadata document's URL (an https URL): a cheap test,
    so that other client_ids never reach this module."""
    return isinstance(client_id, str) and client_id[:8].lower() == "https://"


def host_permitted(client_id: str) -> bool:
    """Whether the operator lets clients from this URL's host in (``CIMD_ALLOWED_HOSTS`` and not
    ``CIMD_DENIED_HOSTS``, Django's ``ALLOWED_HOSTS`` syntax)."""
    host = (urlsplit(client_id).hostname or "").rstrip(".")
    if not host or validate_host(host, conf.get("CIMD_DENIED_HOSTS")):
        return False
    return validate_host(host, conf.get("CIMD_ALLOWED_HOSTS"))


def cache_seconds(cache_control: str) -> int:
    """How long a document is used: its ``max-age`` (none for ``no-store``/``no-cache`` or a
    missing header), within ``CIMD_MIN_CACHE_SECONDS`` and ``CIMD_MAX_CACHE_SECONDS``."""
    floor, ceiling = conf.get("CIMD_MIN_CACHE_SECONDS"), conf.get("CIMD_MAX_CACHE_SECONDS")
    lowered = (cache_control or "").lower()
    match = _MAX_AGE.search(lowered)
    age = int(match.group(1)) if match and "no-store" not in lowered and "no-cache" not in lowered else 0
    return max(floor, min(age, ceiling))


def _failure_key(client_id: str) -> str:
    return "oauthclients:cimd-failed:" + hashlib.sha256(client_id.encode()).hexdigest()


def fetch_document(client_id: str) -> tuple[dict, int]:
    """The document at ``client_id`` (parsed JSON, not yet validated) and how many seconds to use
    it. Unreachable when its host cannot be reached in time; ValidationError when it answered with
    anything but a JSON document of at most ``MAX_DOCUMENT_BYTES``; ``outbound.Busy``, before any
    connection, when every request slot is taken."""
    try:
        with outbound.request_slot():
            answer = outbound.request(
                "GET", client_id, max_bytes=MAX_DOCUMENT_BYTES, headers={"Accept": "application/json"}
            )
    except outbound.ResponseTooLarge:
        raise ValidationError(f"The document is larger than {MAX_DOCUMENT_BYTES} bytes.") from None
    except requests.RequestException as error:
        # RefusedAddress and DeadlineExceeded are RequestExceptions too.
        raise Unreachable(type(error).__name__) from None
    if answer.status_code >= 500:
        raise Unreachable(f"HTTP {answer.status_code}")
    if answer.status_code != 200:
        raise ValidationError(f"The document's URL answered HTTP {answer.status_code}.")
    headers = {name.lower(): value for name, value in answer.headers.items()}
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise ValidationError("The document is not JSON (Content-Type).")
    try:
        document = json.loads(answer.content)
    except ValueError:
        raise ValidationError("The document is not valid JSON.") from None
    return document, cache_seconds(headers.get("cache-control", ""))


def resolve(client_id: str, registered: Client | None) -> Client | None:
    """The client known by the metadata document at ``client_id``: ``registered`` (its row, or
    None) while its document is fresh, else registered or updated from a new fetch; None when the
    operator's switch is off, the host is not allowed, or the document is refused."""
    if not conf.get("CIMD_ENABLED") or client_id_url_problem(client_id) or not host_permitted(client_id):
        return None
    if registered is not None and registered.registration_source != Client.RegistrationSource.CIMD:
        return None  # never: services keep ids apart; a URL-shaped id is still not a document
    if registered is not None and registered.cimd_expires_at and registered.cimd_expires_at > timezone.now():
        return registered
    failed = cache.get(_failure_key(client_id))
    if failed is not None:
        return registered if failed == _UNREACHABLE else None
    try:
        document, seconds = fetch_document(client_id)
        metadata = validate_metadata_document(document, url=client_id)
        return services.client_register_from_document(
            client_id=client_id, metadata=metadata, expires=timezone.now() + timedelta(seconds=seconds)
        )
    except outbound.Busy:
        return registered  # nothing was asked: nothing learnt, nothing to remember
    except Unreachable as error:
        logger.info("A client's metadata document could not be fetched (%s).", error)
        outcome, client = _UNREACHABLE, registered
    except ValidationError as error:
        logger.info("A client's metadata document was refused: %s", "; ".join(error.messages))
        outcome, client = _REFUSED, None
    cache.set(_failure_key(client_id), outcome, conf.get("OUTBOUND_FAILURE_CACHE_SECONDS"))
    return client
