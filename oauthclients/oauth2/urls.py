"""The OAuth 2.0 / OpenID Connect endpoints, mounted by the project at ``/api/oauth2/``.

The namespace is DOT's own (``oauth2_provider``) because DOT reverses these names to build the
issuer, the discovery documents and the RFC 9207 ``iss``. Every route answers with and without
its trailing slash: the seeds' clients POST to ``/api/oauth2/token``.
"""

from django.urls import re_path
from oauth2_provider import views as dot_views

from oauthclients.oauth2.endpoints import authorize, device, discovery, introspection, par, token
from oauthclients.oauth2.logout import rp_initiated

app_name = "oauth2_provider"

urlpatterns = [
    re_path(r"^authorize/?$", authorize.AuthorizationView.as_view(), name="authorize"),
    re_path(r"^token/?$", token.TokenView.as_view(), name="token"),
    # RFC 9126 pushed authorization requests: a client POSTs the request, gets a request_uri.
    re_path(r"^par/?$", par.PushedAuthorizationRequestView.as_view(), name="pushed-authorization-request"),
    # RFC 8628: the device authorization endpoint, and the page where the user enters the code.
    re_path(
        r"^device_authorization/?$", device.DeviceAuthorizationView.as_view(), name="device-authorization"
    ),
    re_path(r"^device/?$", device.DeviceVerificationView.as_view(), name="device"),
    re_path(r"^device/confirm/?$", device.DeviceConfirmView.as_view(), name="device-confirm"),
    re_path(r"^revoke_token/?$", token.RevokeTokenView.as_view(), name="revoke-token"),
    re_path(r"^introspect/?$", introspection.IntrospectTokenView.as_view(), name="introspect"),
    re_path(r"^userinfo/?$", dot_views.UserInfoView.as_view(), name="user-info"),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        discovery.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    # OpenID Connect RP-Initiated Logout 1.0 (discovery's end_session_endpoint).
    re_path(r"^logout/?$", rp_initiated.RPInitiatedLogoutView.as_view(), name="rp-initiated-logout"),
    re_path(r"^\.well-known/jwks\.json/?$", discovery.JwksView.as_view(), name="jwks-info"),
    # RFC 8414's issuer-relative form; the root form is in the project's URLconf.
    re_path(
        r"^\.well-known/oauth-authorization-server/?$",
        discovery.OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
]

# RFC 8414 §3: the metadata of issuer <origin>/api/oauth2 lives at the origin's root with the
# issuer's path appended. Included by the project at the root, outside the /api/ namespace.
root_urlpatterns = [
    re_path(
        r"^\.well-known/oauth-authorization-server/api/oauth2/?$",
        discovery.OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata-root",
    ),
]
