"""The OpenID Foundation's Config OP plan (oidcc-config-certification-test-plan): its one module,
oidcc-discovery-endpoint-verification, with the conditions it runs (net.openid.conformance.
condition.client.CheckDisc*, OIDCCCheckDisc*, ValidateServerJWKs)."""

import pytest

from tests.oidc_conformance.rp import discovery, verify_discovery

pytestmark = pytest.mark.django_db


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
