"""Every write to an OAuth client goes through here: the REST API, DCR, the admin and the command."""

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from oauthclients import signals
from oauthclients.grants import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    IMPLICIT,
    PASSWORD,
    is_public_auth_method,
    uses_client_secret,
)
from oauthclients.metadata import UPDATABLE_NAMES, apply_to
from oauthclients.models import Client
from oauthclients.validation import validate_client_metadata

# DOT keeps one grant per application; ours is a list. DOT's field only matters for its own
# checks (redirect URIs required, HS256), so it gets the first of these that the client registered.
_PRIMARY_GRANT = (
    (AUTHORIZATION_CODE, Client.GRANT_AUTHORIZATION_CODE),
    (IMPLICIT, Client.GRANT_IMPLICIT),
    (PASSWORD, Client.GRANT_PASSWORD),
    (CLIENT_CREDENTIALS, Client.GRANT_CLIENT_CREDENTIALS),
)


def _primary_grant(grant_types) -> str:
    for name, dot_grant in _PRIMARY_GRANT:
        if name in grant_types:
            return dot_grant
    # Token exchange (with or without refresh): a back-channel grant for a confidential client,
    # which is what DOT's client-credentials value describes.
    return Client.GRANT_CLIENT_CREDENTIALS


def _client_type(token_endpoint_auth_method) -> str:
    if is_public_auth_method(token_endpoint_auth_method):
        return Client.CLIENT_PUBLIC
    return Client.CLIENT_CONFIDENTIAL


def client_validate(*, client: Client | None = None, **fields) -> dict:
    """The metadata normalised, or every problem in one ValidationError keyed by RFC 7591 field:
    ``validate_client_metadata``'s rules, and (for an existing ``client``) no switch between public
    and confidential, since the secret its owner holds would no longer fit."""
    errors = {}
    cleaned = {}
    try:
        cleaned = validate_client_metadata(**fields)
    except ValidationError as error:
        errors.update(error.message_dict)
    method = fields.get("token_endpoint_auth_method")
    if (
        client is not None
        and "token_endpoint_auth_method" not in errors
        and (_client_type(method) != client.client_type)
    ):
        errors["token_endpoint_auth_method"] = [
            "A client cannot switch between public (none) and confidential; register a new client."
        ]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _apply(client: Client, cleaned: dict, *, validate_unique: bool = True) -> None:
    """Set the client's metadata and the DOT fields derived from it, then run the model's checks."""
    apply_to(client, cleaned)
    client.client_type = _client_type(client.token_endpoint_auth_method)
    client.authorization_grant_type = _primary_grant(client.grant_types)
    client.full_clean(validate_unique=validate_unique)


@transaction.atomic
def client_create(
    *,
    owner: AbstractBaseUser | None,
    client_name: str,
    registration_source: str = Client.RegistrationSource.MANUAL,
    client_id: str = "",
    **fields,
) -> tuple[Client, str | None]:
    """Register a client for ``owner`` with the metadata in ``fields`` (RFC 7591 names, as
    ``oauthclients.metadata`` describes them; each one left out takes its default, an unknown one is
    a TypeError). Returns it and
    its raw secret (None for a client that authenticates without one: public, or private_key_jwt),
    which exists only in this return value: the database keeps DOT's hash of it.

    ``client_id`` is for an operator's own well-known client (the API docs' one, which their
    settings name); clients registering themselves always get a random one."""
    cleaned = client_validate(client_name=client_name, **fields)
    raw_secret = generate_client_secret()
    # A public client gets a random secret that nobody ever sees, not an empty one: DOT hashes
    # whatever is stored, and the hash of "" would let anyone "authenticate" with an empty secret.
    client = Client(user=owner, client_secret=raw_secret, registration_source=registration_source)
    if client_id:
        client.client_id = client_id
    _apply(client, cleaned)
    client.save()
    signals.client_registered.send(sender=Client, client=client)
    if not uses_client_secret(client.token_endpoint_auth_method):
        return client, None
    return client, raw_secret


def client_register_from_document(*, client_id: str, metadata: dict, expires: datetime) -> Client:
    """Register, or bring up to date, the client known by ``client_id``, the URL of its Client ID
    Metadata Document, from the document's validated ``metadata`` (``validation.
    validate_metadata_document``), to be fetched again after ``expires``. Such a client has no
    owner, so no user's API or portal lists or edits it; a client registered otherwise is never
    taken over (ValidationError). Concurrent first uses of one URL make one row."""
    try:
        return _register_from_document(client_id, metadata, expires)
    except IntegrityError:
        # Another request registered the same URL a moment ago: bring its row up to date.
        return _register_from_document(client_id, metadata, expires)


def _register_from_document(client_id: str, metadata: dict, expires: datetime) -> Client:
    with transaction.atomic():  # a savepoint: a lost race leaves the caller's transaction usable
        client = Client.objects.select_for_update().filter(client_id=client_id).first()
        if client is None:
            # A random secret nobody sees, never an empty one (as client_create).
            client = Client(client_id=client_id, client_secret=generate_client_secret())
        elif client.registration_source != Client.RegistrationSource.CIMD:
            raise ValidationError({"client_id": ["This client_id belongs to a registered client."]})
        client.user = None
        client.registration_source = Client.RegistrationSource.CIMD
        client.cimd_expires_at = expires
        # The unique client_id is left to the database: a concurrent first use of the same URL is
        # then an IntegrityError, which the caller answers by updating the row that won, where
        # Django's own check would have been a ValidationError, i.e. a refused document.
        _apply(client, metadata, validate_unique=False)
        client.save()
        return client


@transaction.atomic
def client_update(*, client: Client, **fields) -> Client:
    """Change some of the client's metadata; the result is validated as a whole (``client_validate``)."""
    unknown = set(fields) - UPDATABLE_NAMES
    if unknown:
        raise TypeError(f"client_update() got unexpected fields {sorted(unknown)!r}")
    cleaned = client_validate(client=client, **{**client.metadata(), **fields})
    _apply(client, cleaned)
    client.save()
    return client


@transaction.atomic
def client_set_trust(*, client: Client, allow_introspection: bool, first_party: bool) -> Client:
    """Set what only an administrator decides, never part of the metadata an owner registers.

    ``allow_introspection``: the client (one of our resource servers or relying parties) may call
    the introspection endpoint, which reveals every token's owner and scopes. ``first_party``
    (DOT's ``skip_authorization``): the client is ours; it skips the consent screen, may use token
    exchange and may hold the first-party scopes (``OAUTHCLIENTS["FIRST_PARTY_SCOPES"]``)."""
    client.allow_introspection = allow_introspection
    client.skip_authorization = first_party
    client.save(update_fields=["allow_introspection", "skip_authorization", "updated"])
    return client


@transaction.atomic
def client_rotate_secret(*, client: Client) -> str:
    """Give a confidential client a new secret and return it raw; the old one stops working at once."""
    if client.client_type == Client.CLIENT_PUBLIC:
        raise ValidationError({"token_endpoint_auth_method": ["A public client has no secret to rotate."]})
    if not uses_client_secret(client.token_endpoint_auth_method):
        raise ValidationError(
            {"token_endpoint_auth_method": ["This client authenticates with its keys; it has no secret."]}
        )
    raw_secret = generate_client_secret()
    client.client_secret = raw_secret
    client.save(update_fields=["client_secret", "updated"])
    signals.client_secret_rotated.send(sender=Client, client=client)
    return raw_secret


def _tokens_revoke(**scope) -> int:
    # ``updated`` is auto_now, which a queryset update does not touch (DOT's revoke_family does the same).
    now = timezone.now()
    refreshed = (
        get_refresh_token_model()
        .objects.filter(**scope, revoked__isnull=True)
        .update(revoked=now, updated=now, access_token=None)
    )
    access_tokens = get_access_token_model().objects.filter(**scope)
    revoked_access = access_tokens.count()
    access_tokens.delete()
    get_grant_model().objects.filter(**scope).delete()
    get_id_token_model().objects.filter(**scope).delete()
    return revoked_access + refreshed


@transaction.atomic
def client_revoke_tokens(*, client: Client, user: AbstractBaseUser | None = None) -> int:
    """Revoke every token issued to the client (only those for ``user`` when given): access tokens
    are deleted, refresh tokens marked revoked (kept so that replaying one is recognised), and
    outstanding authorization codes and ID tokens deleted so that nothing can mint a new token.
    Returns the number of tokens revoked."""
    if user is None:
        return _tokens_revoke(application=client)
    return _tokens_revoke(application=client, user=user)


@transaction.atomic
def user_tokens_revoke(*, user: AbstractBaseUser) -> int:
    """End everything ``user`` granted, to every client: as ``client_revoke_tokens`` does for one
    client. For when the user's credentials change (a new password, a reset): whoever held the
    old password may have authorized a client with it. Returns the number of tokens revoked."""
    return _tokens_revoke(user=user)


@transaction.atomic
def issued_tokens_revoke(
    *, access_token_ids: Iterable[int] = (), token_families: Iterable[uuid.UUID] = ()
) -> int:
    """Revoke the access tokens ``access_token_ids`` names and every token of the refresh token
    families ``token_families`` (what a refresh issued from one grant): access tokens deleted
    (a JWT one marked revoked at once, ``jwt_access.access_token_deleted``), refresh tokens marked
    revoked, in a constant number of queries. For revoking what one credential bought (a
    project's personal access token, ``OAuthClientsAdapter.password_grant_tokens_issued``).
    Returns the number of tokens revoked."""
    ids, families = list(access_token_ids), list(token_families)
    if not ids and not families:
        return 0
    now = timezone.now()
    # The access tokens first: nulling the refresh tokens' link below would lose the way to them.
    access_tokens = get_access_token_model().objects.filter(
        Q(pk__in=ids)
        | Q(refresh_token__token_family__in=families)
        | Q(source_refresh_token__token_family__in=families)
    )
    pks = set(access_tokens.values_list("pk", flat=True))
    get_access_token_model().objects.filter(pk__in=pks).delete()
    revoked_access = len(pks)
    refreshed = (
        get_refresh_token_model()
        .objects.filter(token_family__in=families, revoked__isnull=True)
        .update(revoked=now, updated=now, access_token=None)
    )
    return revoked_access + refreshed


@transaction.atomic
def client_delete(*, client: Client) -> None:
    """Delete the client; its grants and tokens go with it (the foreign keys cascade)."""
    client.delete()
    signals.client_deleted.send(sender=Client, client=client)
