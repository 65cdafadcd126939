"""The OAuth endpoints in /api/schema (oauthclients.openapi): present, valid OpenAPI 3, and true to
what the endpoints really answer and what the server really allows."""

import base64
import json
import sys

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator import validate as validate_instance
from openapi_spec_validator import validate as validate_spec

from oauthclients.grants import IMPLICIT, PASSWORD
from oauthclients.oauth2.endpoints.base import CLIENT_CHALLENGE
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ERROR_REF = {"$ref": "#/components/schemas/OAuthError"}

OPERATIONS = [
    ("/api/oauth2/token", "post"),
    ("/api/oauth2/authorize", "get"),
    ("/api/oauth2/device_authorization", "post"),
    ("/api/oauth2/register", "post"),
    ("/api/oauth2/register/{client_id}", "get"),
    ("/api/oauth2/register/{client_id}", "put"),
    ("/api/oauth2/register/{client_id}", "delete"),
    ("/api/oauth2/userinfo", "get"),
    ("/api/oauth2/userinfo", "post"),
    ("/api/oauth2/introspect", "post"),
    ("/api/oauth2/revoke_token", "post"),
    ("/api/oauth2/par", "post"),
    ("/api/oauth2/logout", "get"),
    ("/api/oauth2/.well-known/openid-configuration", "get"),
    ("/api/oauth2/.well-known/oauth-authorization-server", "get"),
    ("/.well-known/oauth-authorization-server/api/oauth2", "get"),
    ("/api/oauth2/.well-known/jwks.json", "get"),
]
FORM_OPERATIONS = [
    "/api/oauth2/token",
    "/api/oauth2/device_authorization",
    "/api/oauth2/introspect",
    "/api/oauth2/revoke_token",
    "/api/oauth2/par",
]


def fetch_schema(client):
    response = client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture
def schema(client):
    return fetch_schema(client)


def conforms(schema, instance, subschema):
    """The instance validates against a schema of the document (its $refs resolved in it)."""
    validate_instance(instance, {**subschema, "components": schema["components"]}, cls=OAS30Validator)


def token_grants(schema):
    body = schema["paths"]["/api/oauth2/token"]["post"]["requestBody"]["content"][FORM]["schema"]
    return body["discriminator"]["mapping"]


def test_the_schema_is_valid_openapi_3_and_lists_every_oauth_endpoint(schema):
    validate_spec(schema)

    assert schema["openapi"].startswith("3.")
    missing = [(path, method) for path, method in OPERATIONS if method not in schema["paths"].get(path, {})]
    assert missing == []


def test_the_yaml_schema_renders_too(client):
    # The default format: the grant types must be plain strings there, not enum members.
    response = client.get("/api/schema")

    assert response.status_code == 200
    assert b"urn:ietf:params:oauth:grant-type:device_code" in response.content


@pytest.mark.parametrize("path", FORM_OPERATIONS)
def test_client_endpoints_take_forms_and_answer_rfc6749_errors(schema, path):
    operation = schema["paths"][path]["post"]

    assert list(operation["requestBody"]["content"]) == [FORM]
    assert operation["responses"]["400"]["content"][JSON]["schema"] == ERROR_REF
    unauthorized = operation["responses"]["401"]
    assert unauthorized["content"][JSON]["schema"] == ERROR_REF
    assert CLIENT_CHALLENGE in unauthorized["headers"]["WWW-Authenticate"]["description"]
    # client_secret_basic, or the client's credentials in the body (post, private_key_jwt, public).
    assert operation["security"] == [{"clientSecretBasic": []}, {}]


def test_the_error_component_is_rfc6749s_shape_with_every_code_the_server_sends(schema):
    error = schema["components"]["schemas"]["OAuthError"]

    assert set(error["properties"]) == {"error", "error_description", "error_uri"}
    assert error["required"] == ["error"]
    codes = set(error["properties"]["error"]["enum"])
    assert {"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client"} <= codes
    assert {"unsupported_grant_type", "invalid_scope", "access_denied", "invalid_token"} <= codes
    assert {"authorization_pending", "slow_down", "expired_token", "invalid_target"} <= codes
    assert {"invalid_client_metadata", "invalid_redirect_uri", "unsupported_token_type"} <= codes


def test_the_token_forms_are_the_grants_discovery_advertises(client, schema):
    advertised = client.get("/api/oauth2/.well-known/openid-configuration").json()["grant_types_supported"]
    mapping = token_grants(schema)

    assert set(mapping) == set(advertised) - {IMPLICIT}
    components = schema["components"]["schemas"]
    code = components[mapping["authorization_code"].rsplit("/", 1)[1]]
    assert code["required"] == ["grant_type", "code"]
    assert code["properties"]["grant_type"]["enum"] == ["authorization_code"]
    assert {"code_verifier", "redirect_uri", "client_id", "client_secret", "client_assertion"} <= set(
        code["properties"]
    )
    body = schema["paths"]["/api/oauth2/token"]["post"]["requestBody"]["content"][FORM]["schema"]
    assert body["oneOf"] == [{"$ref": ref} for ref in mapping.values()]


def test_a_grant_switched_off_is_not_offered_and_the_operation_says_so(client, settings):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ALLOW_PASSWORD_GRANT": False}
    off = fetch_schema(client)
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ALLOW_PASSWORD_GRANT": True}
    on = fetch_schema(client)

    assert PASSWORD not in token_grants(off)
    assert (
        f"Switched off on this server (the operator's `OAUTHCLIENTS` settings): {PASSWORD}"
        in (off["paths"]["/api/oauth2/token"]["post"]["description"])
    )
    assert PASSWORD in token_grants(on)
    password_form = on["components"]["schemas"]["TokenRequestPassword"]
    assert password_form["required"] == ["grant_type", "username", "password"]


def test_the_device_endpoint_says_when_the_device_grant_is_off(client, settings):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ALLOW_DEVICE_GRANT": False}
    schema = fetch_schema(client)

    operation = schema["paths"]["/api/oauth2/device_authorization"]["post"]
    assert "Switched off on this server" in operation["description"]
    assert "urn:ietf:params:oauth:grant-type:device_code" not in token_grants(schema)


def test_token_exchange_is_described_by_its_own_grant(schema):
    # socialaccounts' TokenExchangeGrant.openapi_form, through the project's adapter.
    form = schema["components"]["schemas"]["TokenRequestTokenExchange"]

    assert form["required"] == ["grant_type", "subject_token", "subject_token_type", "subject_issuer"]


def test_authorize_documents_pkce_oidc_and_its_browser_answers(schema):
    operation = schema["paths"]["/api/oauth2/authorize"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}

    assert {"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge"} <= set(
        parameters
    )
    assert {"nonce", "prompt", "max_age", "request", "request_uri", "response_mode"} <= set(parameters)
    assert parameters["code_challenge_method"]["schema"]["enum"] == ["S256"]
    assert "code" in parameters["response_type"]["schema"]["enum"]
    assert set(operation["responses"]) == {"200", "302", "400"}


def test_registration_documents_rfc7591_metadata_and_the_registration_token(schema):
    register = schema["paths"]["/api/oauth2/register"]["post"]
    metadata = schema["components"]["schemas"]["ClientMetadata"]
    read = schema["paths"]["/api/oauth2/register/{client_id}"]["get"]

    assert register["requestBody"]["content"][JSON]["schema"] == {
        "$ref": "#/components/schemas/ClientMetadata"
    }
    assert metadata["required"] == ["client_name"]
    assert "none" in metadata["properties"]["token_endpoint_auth_method"]["enum"]
    assert read["security"] == [{"registrationAccessToken": []}]
    assert read["responses"]["401"]["headers"]["WWW-Authenticate"]
    assert schema["components"]["securitySchemes"]["registrationAccessToken"]["scheme"] == "bearer"


def test_without_dcr_no_registration_is_documented(client, settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "DCR_ENABLED": False}

    paths = fetch_schema(client)["paths"]

    assert "/api/oauth2/register" not in paths
    assert "/api/oauth2/token" in paths


def test_the_authorize_dialog_offers_pkce_for_a_public_client_and_no_session_cookie(schema):
    schemes = schema["components"]["securitySchemes"]
    oauth2 = schemes["oauth2"]

    assert "cookieAuth" not in schemes
    assert list(oauth2["flows"]) == ["authorizationCode"]
    flow = oauth2["flows"]["authorizationCode"]
    assert (flow["authorizationUrl"], flow["tokenUrl"]) == ("/api/oauth2/authorize", "/api/oauth2/token")
    assert flow["scopes"]["beers:read"] == "See the beers in your locker"
    assert "first-party applications only" in flow["scopes"]["social:write"]
    assert "/api/docs/oauth2-redirect.html" in oauth2["description"]
    assert "no client secret" in oauth2["description"]


def test_swagger_ui_is_set_up_for_pkce_with_the_docs_client(client):
    script = client.get("/api/docs", {"script": ""}).content.decode()

    assert '"usePkceWithAuthorizationCodeGrant": true' in script
    print(script)
    assert '"clientId": "beerlocker-api-docs"' in script
    assert "/api/docs/oauth2-redirect.html" in script


def test_the_hook_needs_no_drf_spectacular(monkeypatch):
    from oauthclients import openapi

    monkeypatch.setitem(sys.modules, "drf_spectacular", None)  # any import of it now fails

    result = openapi.oauth_endpoints({"paths": {}})

    assert "/api/oauth2/token" in result["paths"]
    assert "OAuthError" in result["components"]["schemas"]


def _basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_what_the_endpoints_really_answer_is_what_the_schema_says(client, schema, user):
    """Each endpoint's real answers to bad requests: a documented status, the documented body and
    challenge (a cheap, deterministic cousin of tests/security/test_schemathesis.py)."""
    confidential = ClientFactory(user=user)
    wrong_secret = _basic(confidential.client_id, "wrong")
    requests = [
        ("/api/oauth2/token", "post", {"data": {}}),
        ("/api/oauth2/token", "post", {"data": {"grant_type": "authorization_code", "code": "x"}}),
        ("/api/oauth2/token", "post", {"data": {"grant_type": "nope"}, "HTTP_AUTHORIZATION": wrong_secret}),
        (
            "/api/oauth2/token",
            "post",
            {"data": {"grant_type": "client_credentials"}, "HTTP_AUTHORIZATION": wrong_secret},
        ),
        ("/api/oauth2/device_authorization", "post", {"data": {"client_id": "unknown"}}),
        ("/api/oauth2/introspect", "post", {"data": {"token": "x"}}),
        ("/api/oauth2/revoke_token", "post", {"data": {"token": "x"}, "HTTP_AUTHORIZATION": wrong_secret}),
        ("/api/oauth2/register", "post", {"data": {}, "content_type": JSON}),
        ("/api/oauth2/register/{client_id}", "get", {}),
        ("/api/oauth2/register/{client_id}", "delete", {"HTTP_AUTHORIZATION": "Bearer nope"}),
        ("/api/oauth2/authorize", "get", {"data": {"client_id": "unknown", "response_type": "code"}}),
        ("/api/oauth2/.well-known/openid-configuration", "get", {}),
        ("/.well-known/oauth-authorization-server/api/oauth2", "get", {}),
        ("/api/oauth2/.well-known/jwks.json", "get", {}),
    ]
    for path, method, options in requests:
        url = path.replace("{client_id}", confidential.client_id)
        response = getattr(client, method)(url, **options)
        documented = schema["paths"][path][method]["responses"]
        status = str(response.status_code)
        assert status in documented, (path, method, options, status, response.content[:300])
        content_type = response["Content-Type"].split(";")[0]
        if content_type == JSON:
            conforms(schema, response.json(), documented[status]["content"][JSON]["schema"])
        else:
            assert content_type in documented[status].get("content", {"text/html": None}), (
                path,
                content_type,
            )
        if status == "401":
            challenge = response["WWW-Authenticate"]
            assert challenge.split()[0] in documented[status]["headers"]["WWW-Authenticate"]["description"]
