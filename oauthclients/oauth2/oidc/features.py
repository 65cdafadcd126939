"""The OpenID Connect features this server offers, stated once for discovery and registration.

Discovery must advertise exactly what the server does: the response modes it builds
(``response_modes``), the ``acr`` values it achieves (``authn``), the claims it releases
(``claims``), the request objects it processes (``request_objects``, unless switched off), and
the signed userinfo responses it offers (``userinfo``).
"""

from django.urls import reverse
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.settings import oauth2_settings

from oauthclients import conf
from oauthclients.grants import OIDC_STANDARD_SCOPES, REQUEST_OBJECT_SIGNING_ALGS
from oauthclients.keys import server_signing_algs
from oauthclients.oauth2.logout import backchannel
from oauthclients.oauth2.oidc import authn, request_objects, response_modes

# Claims of the ID token itself, released with every one (beside sub and the scope claims).
ID_TOKEN_CLAIMS = ["acr", "amr", "auth_time", "sid"]


def discovery_metadata(request, *, oidc: bool) -> dict:
    """What discovery adds to DOT's document (RFC 8414 and, with ``oidc``, OpenID Connect)."""
    data: dict[str, object] = {
        "response_modes_supported": response_modes.RESPONSE_MODES_SUPPORTED,
        # Client ID Metadata Documents (oauthclients.oauth2.clientauth.cimd), when switched on.
        "client_id_metadata_document_supported": conf.get("CIMD_ENABLED"),
    }
    if oauth2_settings.DCR_ENABLED:
        data["registration_endpoint"] = request.build_absolute_uri(reverse("oauthclients:dcr-register"))
    if oidc:
        data |= {
            "acr_values_supported": authn.ACR_VALUES_SUPPORTED,
            # OIDC Core §6 (OIDC Discovery's default for request_uri is true: always say).
            "request_parameter_supported": request_objects.enabled(),
            "request_uri_parameter_supported": request_objects.enabled(),
            "claims_parameter_supported": False,
            # What the server's keys sign (oauthclients.keys): a client registers one of these
            # as id_token_signed_response_alg and (OIDC Core §5.3.2) userinfo_signed_response_alg.
            "id_token_signing_alg_values_supported": server_signing_algs(),
            "userinfo_signing_alg_values_supported": server_signing_algs(),
        }
        # Back-Channel Logout 1.0 §2.1: logout tokens to registered clients, always with sid,
        # when the project tells us of sessions ending (OAUTHCLIENTS["SESSION_ENDED_SIGNAL"]).
        supported = backchannel.backchannel_logout_supported()
        data |= {"backchannel_logout_supported": supported, "backchannel_logout_session_supported": supported}
        if request_objects.enabled():
            data["request_object_signing_alg_values_supported"] = REQUEST_OBJECT_SIGNING_ALGS
    return data


def unsupported_registration_metadata(data: dict) -> str | None:
    """Why RFC 7591 / OIDC Registration metadata asks for something this server does not do, or
    None. Better refused than registered and silently ignored."""
    subject_type = data.get("subject_type")
    if subject_type is not None and subject_type != "public":
        return "subject_type must be public: this server issues no pairwise subject identifiers."
    if data.get("sector_identifier_uri") is not None:
        return "sector_identifier_uri is not supported: this server issues no pairwise subject identifiers."
    for name in ("request_object_signing_alg", "request_uris"):
        if data.get(name) is not None and not request_objects.enabled():
            return f"{name} is not supported: this server processes no request objects."
    return None


def registration_default_scope() -> str:
    """The scope of a client registered by DCR without one: the standard OpenID Connect scopes this
    server offers (``openid profile email``: a relying party registered as the OpenID conformance
    suite registers asks for them) and the default client scope."""
    offered = set(get_scopes_backend().get_all_scopes())
    standard = [scope for scope in OIDC_STANDARD_SCOPES if scope in offered]
    return " ".join(dict.fromkeys([*standard, *conf.get("DEFAULT_CLIENT_SCOPE").split()]))
