import functools
import hashlib
from typing import NoReturn

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import AbstractApplication, get_access_token_model, get_application_model
from oauth2_provider.www_authenticate import build_bearer_challenge
from rest_framework import authentication, exceptions

from beerlocker_api import conf, dpop, jwt_access, limits, resource
from beerlocker_api.compiled import CompiledLookup, Part

HEADER_ONLY_MESSAGE = gettext_noop(
    "Send the access token in the Authorization header (Bearer), not in the URL or body."
)


def token_outside_header(request) -> bool:
    """True when the request carries ``access_token`` in its query string or form body (RFC 6750
    §2.2/§2.3): the README promises the header only, and a URL's token lands in access logs."""
    return "access_token" in request.GET or "access_token" in request.POST


class TokenOutsideHeader(exceptions.APIException):
    """RFC 6750 §3.1 ``invalid_request``: 400 with the Bearer challenge naming the error."""

    status_code = 400
    default_code = "invalid_request"
    default_detail = gettext_lazy(HEADER_ONLY_MESSAGE)  # the challenge keeps the English
    auth_header = f'Bearer realm="api", error="invalid_request", error_description="{HEADER_ONLY_MESSAGE}"'


def _application_may_refuse() -> bool:
    """The client model overrides DOT's ``is_usable`` (which accepts every request)."""
    return get_application_model().is_usable is not AbstractApplication.is_usable


def bearer_token(request, scheme: str = "bearer") -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (or of another ``scheme``, such as
    ``DPoP``; case-insensitive), else None."""
    sent_scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    token = token.strip()
    if sent_scheme.lower() != scheme.lower() or not token or " " in token:
        return None
    return token


def _binding_parts() -> list[Part]:
    """The access token's DPoP binding (``dpop.BINDING_RELATED_NAME``, a reverse one-to-one the
    authorization server's app provides), joined to the token's lookup when the model has one."""
    try:
        relation = get_access_token_model()._meta.get_field(dpop.BINDING_RELATED_NAME)
    except FieldDoesNotExist:
        return []
    binding = relation.related_model
    return [Part(dpop.BINDING_RELATED_NAME, binding, (binding._meta.pk.attname, "jkt"))]


@functools.cache
def _access_token_lookup() -> CompiledLookup:
    """An access token by checksum, with what deciding whether it may be used right now reads:
    its user (whole: it becomes ``request.user``), its DPoP binding (RFC 9449) and, when the client
    model can refuse (DOT's ``is_usable`` is always True), the client's owner, whom
    ``Client.is_usable`` asks about. The client's other fields are left deferred: an API view never
    reads them."""
    user_model = get_user_model()
    parts = [
        Part(
            "", get_access_token_model(), ("id", "user_id", "application_id", "expires", "scope", "resource")
        ),
        Part("user", user_model),
        *_binding_parts(),
    ]
    if _application_may_refuse():
        parts += [
            Part("application", get_application_model(), ("id", "user_id")),
            Part("application__user", user_model, ("id", "is_active")),
        ]
    return CompiledLookup("token_checksum", *parts)


def usable_access_token(request, token: str):
    """The access token ``token`` names when it may be used right now, in one indexed query, else None.

    The checks are the ones DOT's ``OAuth2Validator.validate_bearer_token`` and the server's
    validator make, on the same row: a revoked token no longer exists (DOT deletes it), an
    expired one is refused, a token whose application is no longer usable is refused, and a
    token acting for a deactivated user is refused (Django's way to lock an account). Whom the
    token is for (its RFC 8707 audience, on the same row) is the caller's check:
    ``resource.audience_refusal``.
    """
    # token_checksum is unique; the SQL is compiled once per process (beerlocker_api.compiled).
    access_token = _access_token_lookup().get(hashlib.sha256(token.encode()).hexdigest())
    if access_token is None or access_token.is_expired():
        return None
    refusable = _application_may_refuse() and access_token.application_id is not None
    if refusable and not access_token.application.is_usable(request):
        return None
    if access_token.user is not None and not access_token.user.is_active:
        return None
    return access_token


class BearerAuthentication(OAuth2Authentication):
    """DOT's bearer authentication, header only, whose 401 says what is wrong with a token that was
    sent (unknown, expired or revoked) and whose challenge also names Basic.

    A token in the ``Authorization`` header that is valid right now is accepted after one indexed
    query (``usable_access_token``), without oauthlib's resource-endpoint round trip, which costs
    more than the whole rest of a list request. Any other bearer token (unknown, expired, revoked)
    goes through DOT unchanged, which refuses it with the same ``invalid_token`` challenge as
    before or accepts what the fast path left to it. Scopes are not checked here in either case:
    ``beerlocker_api.permissions`` checks them per view.

    Either way the token must be for this resource (RFC 8707): a token bound to other resources is
    refused with ``invalid_token`` (``resource.audience_refusal``, no query: the audience is on
    the row already read). Every challenge names the resource's RFC 9728 metadata
    (``resource_metadata``), where a client learns which server issues tokens for it. A protected
    resource with another identifier subclasses this and overrides ``get_resource``.

    A JWT access token (RFC 9068) of this server is verified without any query
    (``authenticate_jwt``); its revocation arrives through the shared cache.
    """

    # Translated where raised (the JSON detail); never in WWW-Authenticate, which is ASCII only.
    invalid_token_message = gettext_noop("The access token is invalid or expired.")  # noqa: S105 - a message

    def get_resource(self, request) -> str:
        """This resource's RFC 8707 identifier: a token's audience must include it."""
        return resource.api_resource(request)

    def get_resource_metadata_url(self, request) -> str:
        """Where this resource's RFC 9728 metadata is (``resource_metadata`` in challenges)."""
        return resource.metadata_url(self.get_resource(request))

    def refuse_other_audiences(self, request, access_token) -> None:
        """401 ``invalid_token`` unless ``access_token`` is for this resource."""
        refusal = resource.audience_refusal(access_token, self.get_resource(request))
        if refusal is not None:
            request.oauth2_error = {"error": "invalid_token", "error_description": refusal}
            raise exceptions.AuthenticationFailed(_(refusal))

    def refuse_dpop(self, request, error: str, description: str, detail: str | None = None) -> NoReturn:
        """401 with a ``WWW-Authenticate: DPoP`` challenge naming ``error`` (RFC 9449 §7.1)."""
        request.dpop_error = {"error": error, "error_description": description}
        # The challenge's description stays English (ASCII); the JSON detail is the reader's language.
        raise exceptions.AuthenticationFailed(detail or _(description))

    def authenticate_dpop(self, request):
        """``Authorization: DPoP <token>`` with a ``DPoP`` proof (RFC 9449 §7): the token must be
        bound to the key that signed the proof, and the proof made for this request and this token.
        The same one query as a bearer token; the proof costs no query (its jti is kept in the cache).
        A JWT access token costs none either: its key is its ``cnf.jkt`` (``authenticate_dpop_jwt``)."""
        token = bearer_token(request, dpop.SCHEME)
        if token and jwt_access.looks_like_jwt(token):
            return self.authenticate_dpop_jwt(request, token)
        access_token = usable_access_token(request, token) if token else None
        if access_token is None:
            self.refuse_dpop(request, "invalid_token", self.invalid_token_message)
        jkt = dpop.bound_jkt(access_token)
        self.check_proof(request, token, jkt)
        self.refuse_other_audiences(request, access_token)
        return access_token.user, access_token

    def authenticate_dpop_jwt(self, request, token: str):
        """A DPoP-bound JWT access token (RFC 9068 with RFC 9449 §6.1's ``cnf.jkt``), verified here
        as a bearer JWT is (``jwt_access.verify``: no query), with a proof signed by its key."""
        reads = self.cache_reads(request)
        try:
            claims = jwt_access.verify(token, issuer=jwt_access.issuer(request._request), reads=reads)
        except jwt_access.RefusedToken as refusal:
            self.refuse_dpop(request, "invalid_token", str(refusal), refusal.detail())
        self.check_proof(request, token, (claims.get("cnf") or {}).get("jkt"))
        return self.jwt_authenticated(request, claims, reads)

    def check_proof(self, request, token: str, jkt: str | None) -> None:
        """401 with a DPoP challenge unless the token is bound to a key (``jkt``) and the request
        carries a valid proof (``dpop.verify_request_proof``: made for this request and this token,
        never used before) signed by that key."""
        if not isinstance(jkt, str):
            self.refuse_dpop(
                request,
                "invalid_token",
                gettext_noop("This access token is not DPoP-bound: send it as Bearer."),
            )
        try:
            proof = dpop.verify_request_proof(request, access_token=token)
        except dpop.InvalidProof as error:
            self.refuse_dpop(request, error.error, error.description, error.detail())
        if not constant_time_compare(proof.jkt, jkt):
            self.refuse_dpop(
                request,
                "invalid_dpop_proof",
                gettext_noop("The DPoP proof is not signed by the token's key."),
            )

    def authenticate(self, request):
        if token_outside_header(request):
            raise TokenOutsideHeader()
        scheme = authentication.get_authorization_header(request).split(b" ", 1)[0].lower()
        if scheme == dpop.SCHEME.lower().encode():
            return self.authenticate_dpop(request)
        if scheme != b"bearer":
            # No bearer token to verify (DOT would still build the absolute URL, which fails on a
            # request for a host outside ALLOWED_HOSTS, such as the schema check's mock requests).
            return None
        token = bearer_token(request)
        if token and jwt_access.looks_like_jwt(token):
            return self.authenticate_jwt(request, token)
        access_token = usable_access_token(request, token) if token else None
        if access_token is not None:
            if dpop.bound_jkt(access_token) is not None:
                # RFC 9449 §7.2: a DPoP-bound token is no bearer token (a stolen one stays useless).
                self.refuse_dpop(
                    request,
                    "invalid_token",
                    gettext_noop("This access token is DPoP-bound: send it as DPoP, with a proof."),
                )
            self.refuse_other_audiences(request, access_token)
            return access_token.user, access_token
        authenticated = super().authenticate(request)
        # DOT records an error when the bearer token it was given is refused.
        if authenticated is None and getattr(request, "oauth2_error", None):
            raise exceptions.AuthenticationFailed(_(self.invalid_token_message))
        if authenticated is not None and isinstance(authenticated[1], get_access_token_model()):
            self.refuse_other_audiences(request, authenticated[1])
        return authenticated

    def authenticate_jwt(self, request, token: str):
        """A JWT access token (RFC 9068) verified here, without a query (``jwt_access.verify``: the
        server's keys, typ, alg, iss, exp, and the revocation marks in one cache round trip), then
        held to this resource's audience. ``request.user`` is the token's user, read from the
        database only if a view uses more of it than its primary key (``jwt_access.deferred_user``).

        A view that reads the shared cache for the token's user names those entries in
        ``prefetch_cache_keys(request, user_pk)``: they are fetched in the marks' round trip and
        left in ``request.cache_reads`` (a ``jwt_access.CacheReads``, whose ``get_many`` the view
        calls instead of the cache's)."""
        reads = self.cache_reads(request)
        try:
            claims = jwt_access.verify(token, issuer=jwt_access.issuer(request._request), reads=reads)
        except jwt_access.RefusedToken as refusal:
            request.oauth2_error = {"error": "invalid_token", "error_description": str(refusal)}
            raise exceptions.AuthenticationFailed(refusal.detail()) from None
        if (claims.get("cnf") or {}).get("jkt") is not None:
            # RFC 9449 §7.2: a DPoP-bound token is no bearer token, a JWT no more than an opaque one.
            self.refuse_dpop(
                request,
                "invalid_token",
                gettext_noop("This access token is DPoP-bound: send it as DPoP, with a proof."),
            )
        return self.jwt_authenticated(request, claims, reads)

    def jwt_authenticated(self, request, claims: dict, reads: jwt_access.CacheReads | None):
        """(user, access token) of a verified JWT access token held to this resource's audience."""
        access_token = jwt_access.access_token_from_claims(claims)
        self.refuse_other_audiences(request, access_token)
        if reads is not None:
            request.cache_reads = reads
        return access_token.user, access_token

    @staticmethod
    def cache_reads(request) -> jwt_access.CacheReads | None:
        """The view's ``prefetch_cache_keys`` as a ``CacheReads``, when it has one."""
        view = (getattr(request, "parser_context", None) or {}).get("view")
        keys = getattr(view, "prefetch_cache_keys", None)
        if keys is None:
            return None
        # A client-credentials token's sub is its client (RFC 9068 §2.2): no user's entries.
        return jwt_access.CacheReads(
            lambda claims: keys(request, claims["sub"]) if claims["sub"] != claims["client_id"] else []
        )

    def dpop_challenge(self, request) -> str | None:
        """The DPoP challenge when DPoP refused the request (``refuse_dpop``), else None."""
        error = getattr(request, "dpop_error", None)
        if error is None:
            return None
        return dpop.challenge(error["error"], error["error_description"], realm=self.www_authenticate_realm)

    def authenticate_header(self, request):
        if challenge := self.dpop_challenge(request):
            return challenge
        bearer = build_bearer_challenge(
            request,
            oauth2_error=getattr(request, "oauth2_error", None),
            realm=self.www_authenticate_realm,
            resource_metadata_url=self.get_resource_metadata_url(request),
        )
        return f'{bearer}, Basic realm="{self.www_authenticate_realm}"'


class BasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic with password-guessing limits, writing only from JSON clients.

    A browser that once answered the API's Basic prompt sends those credentials with every request
    to the site, a cross-site form post included, and Basic (unlike the session) carries no CSRF
    token. A cross-site page can send only form, multipart or text bodies without a CORS preflight,
    so a write authenticated by Basic must send JSON: anything else is a 415 and writes nothing.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            refuse_browser_write(request)
        return result

    def authenticate_credentials(self, userid, password, request=None):
        if wait := limits.user_wait(request, userid):
            raise limits.TooManyAttempts(wait)
        user, auth = super().authenticate_credentials(userid, password, request)
        # A right password is not enough for an account the project wants more from (a second
        # factor, which Basic cannot ask for): 401 naming what to use instead.
        refusal = password_only_refusal(user)
        if refusal:
            raise exceptions.AuthenticationFailed(_(refusal), code="second_factor_required")
        return user, auth


def password_only_refusal(user) -> str | None:
    """Why a password alone must not sign ``user`` in (``BEERLOCKER_API["PASSWORD_ONLY_REFUSAL"]``),
    or None."""
    path = conf.get("PASSWORD_ONLY_REFUSAL")
    return import_string(path)(user) if path else None


def _has_body(request) -> bool:
    meta = request.META
    if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    try:
        return int(meta.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return True


def _from_another_site(request) -> bool:
    """A browser says so: ``Sec-Fetch-Site`` cross-site or same-site, or an ``Origin`` that is not
    this site's. REST clients send neither header; browsers send ``Origin`` with every POST."""
    if request.META.get("HTTP_SEC_FETCH_SITE", "").lower() in ("cross-site", "same-site"):
        return True
    origin = request.META.get("HTTP_ORIGIN")
    return origin is not None and origin != f"{request.scheme}://{request.get_host()}"


def refuse_browser_write(request):
    """415 unless the write's body is JSON (a DELETE, or a POST that carries nothing, may have no
    body at all)."""
    content_type = request.content_type.split(";")[0].strip().lower()
    if request.method == "DELETE" and (not content_type or not _has_body(request)):
        # runserver (wsgiref) reports a body-less request as text/plain: no body is no form.
        return
    raw_content_type = request.META.get("CONTENT_TYPE", "")
    # A body-less POST with no Content-Type (rotate-secret, end-others from a REST client) is no
    # form: a form always sends a Content-Type. A cross-site fetch() can send one, so it is still
    # refused when the browser says it comes from another site.
    bodiless = request.method == "POST" and not raw_content_type and not _has_body(request)
    if bodiless and not _from_another_site(request):
        return
    if content_type == "application/json" or content_type.endswith("+json"):
        return
    raise exceptions.UnsupportedMediaType(
        content_type or "(none)",
        detail=_("With HTTP Basic credentials, send writes as application/json."),
    )
