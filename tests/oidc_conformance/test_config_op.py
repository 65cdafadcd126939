"""The OpenID Foundation's Config OP plan (oidcc-config-certification-test-plan): its one module,
oidcc-discovery-endpoint-verification, with the conditions it runs (net.openid.conformance.
condition.client.CheckDisc*, OIDCCCheckDisc*, ValidateServerJWKs)."""

import pytest

from oauthclients.oauth2 import authn
from oauthclients.oauth2.response_modes import RESPONSE_MODES_SUPPORTED
from tests.oidc_conformance.rp import DISCOVERY, discovery, server_keys

pytestmark = pytest.mark.django_db


def verify_discovery(api_client, *, secure=False) -> dict:
    """OIDCCDiscoveryEndpointVerification.performEndpointVerification."""
    response = api_client.get(DISCOVERY, secure=secure)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")  # EnsureContentTypeJson
    config = response.json()
    scheme = "https" if secure else "http"
    issuer = f"{scheme}://testserver/api/oauth2"
    # CheckDiscEndpointDiscoveryUrl + CheckDiscEndpointIssuer: issuer + /.well-known/openid-configuration.
    assert config["issuer"] == issuer
    # CheckDiscEndpointAuthorizationEndpoint / TokenEndpoint / UserinfoEndpoint / CheckJwksUri.
    assert config["authorization_endpoint"] == f"{issuer}/authorize"
    assert config["token_endpoint"] == f"{issuer}/token"
    assert config["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert config["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    # ValidateServerJWKs + CheckForKeyIdInServerJWKs.
    server_keys(api_client, config)
    # CheckDiscEndpointScopesSupportedContainsOpenId.
    assert "openid" in config["scopes_supported"]
    # OIDCCCheckDiscEndpointResponseTypesSupported: code, id_token and "id_token token" (dynamic).
    assert {"code", "id_token", "id_token token"} <= set(config["response_types_supported"])
    # OIDCCCheckDiscEndpointSubjectTypesSupported.
    assert config["subject_types_supported"] == ["public"]
    # OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported: RS256, never "none" alone.
    assert "RS256" in config["id_token_signing_alg_values_supported"]
    # CheckDiscEndpointClaimsParameterSupported (a boolean when present) and claims_supported.
    assert config["claims_parameter_supported"] is False
    assert {"sub", "name", "given_name", "family_name", "preferred_username", "email"} <= set(
        config["claims_supported"]
    )
    # CheckDiscEndpointRequestParameterSupported / RequestUriParameterSupported: booleans that say
    # what the authorization endpoint does (it processes both), with the algorithms it accepts.
    assert config["request_parameter_supported"] is True
    assert config["request_uri_parameter_supported"] is True
    assert config["request_object_signing_alg_values_supported"] == ["none", "RS256", "ES256"]
    # CheckDiscEndpointGrantTypesSupported / ResponseModesSupported / acr_values_supported:
    # exactly what the server does.
    assert "authorization_code" in config["grant_types_supported"]
    assert config["response_modes_supported"] == RESPONSE_MODES_SUPPORTED
    assert config["acr_values_supported"] == authn.ACR_VALUES_SUPPORTED
    # userinfo is plain JSON, or RS256-signed for a client that registers for it.
    assert config["userinfo_signing_alg_values_supported"] == ["RS256"]
    return config


def test_oidcc_discovery_endpoint_verification(api_client):
    """oidcc-discovery-endpoint-verification (Config OP, static client)."""
    verify_discovery(api_client)


def test_oidcc_discovery_endpoint_verification_all_endpoints_are_https(api_client):
    """CheckDiscEndpointAllEndpointsAreHttps: behind TLS every endpoint discovery names is https."""
    config = verify_discovery(api_client, secure=True)
    urls = [value for key, value in config.items() if key.endswith(("_endpoint", "_uri")) or key == "issuer"]
    assert urls and all(url.startswith("https://") for url in urls), urls


def test_discovery_names_the_registration_endpoint_only_when_dcr_is_on(api_client, settings):
    """Discovery advertises exactly what the server does: registration_endpoint with DCR on."""
    assert discovery(api_client)["registration_endpoint"] == "http://testserver/api/oauth2/register"
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "DCR_ENABLED": False}
    assert "registration_endpoint" not in discovery(api_client)
