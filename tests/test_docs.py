"""API docs: the OpenAPI schema, Swagger UI served without a CDN, the browsable API, static files."""

import io

import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_lists_every_endpoint(schema):
    assert set(schema["paths"]) >= {"/api/users", "/api/users/me", "/api/beers", "/api/beers/{id}"}


def test_schema_documents_basic_and_bearer_with_pkce_but_no_session_cookie(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["basicAuth"] == {"type": "http", "scheme": "basic"}
    flow = schemes["oauth2"]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == "/api/oauth2/authorize"
    assert flow["tokenUrl"] == "/api/oauth2/token"
    assert flow["scopes"]["beers:read"] == "See the beers in your locker"
    # The browser sends its session cookie by itself: the Authorize dialog offers no field for it.
    assert "cookieAuth" not in schemes


@pytest.mark.parametrize(
    ("path", "method", "scopes"),
    [
        ("/api/beers", "get", ["beers:read"]),
        ("/api/beers", "post", ["beers:write"]),
        ("/api/beers/{id}", "delete", ["beers:write"]),
        ("/api/users/me", "get", ["profile"]),
    ],
)
def test_each_operation_names_the_token_scopes_it_needs(schema, path, method, scopes):
    security = schema["paths"][path][method]["security"]

    assert {"oauth2": scopes} in security
    assert {"basicAuth": []} in security


def test_operations_closed_to_tokens_do_not_offer_oauth2(schema):
    security = schema["paths"]["/api/users/me"]["patch"]["security"]

    assert not any("oauth2" in requirement for requirement in security)


def test_error_shape_is_documented_on_every_operation(schema):
    components = schema["components"]["schemas"]
    assert components["Error"]["properties"] == {"detail": {"type": "string"}}
    # One list of messages per field, or (for a list field) per item index.
    field_errors = components["ValidationError"]["additionalProperties"]["anyOf"]
    assert [option["type"] for option in field_errors] == ["array", "object"]

    beers = schema["paths"]["/api/beers"]
    assert set(beers["post"]["responses"]) >= {"201", "400", "401", "403"}
    error = beers["get"]["responses"]["401"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    assert "404" in schema["paths"]["/api/beers/{id}"]["get"]["responses"]


def test_swagger_ui_uses_local_assets_and_pkce(client):
    response = client.get("/api/docs")

    body = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "cdn" not in body.lower()
    script = client.get("/api/docs", {"script": ""}).content.decode()  # the UI's init script, same response
    assert '"usePkceWithAuthorizationCodeGrant": true' in body + script
    assert "/api/docs/oauth2-redirect.html" in body + script


def test_swagger_oauth2_redirect_page_is_served_locally_with_the_sites_opener_policy(client):
    docs = client.get("/api/docs")
    response = client.get("/api/docs/oauth2-redirect.html", {"code": "abc", "state": "xyz"})

    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/oauth2-redirect.js" in response.content.decode()
    # The popup keeps window.opener only when both pages share one Cross-Origin-Opener-Policy.
    assert response["Cross-Origin-Opener-Policy"] == docs["Cross-Origin-Opener-Policy"] == "same-origin"


def test_static_files_are_served_by_whitenoise(client):
    response = client.get("/static/css/beerlocker.css")

    assert response.status_code == 200
    assert b"Beer Locker" in b"".join(response.streaming_content)


def test_browsable_api_still_works_with_a_session(client, user):
    client.force_login(user)

    response = client.get("/api/beers/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "My beers" in response.content.decode()


def test_schema_generates_without_warnings_and_validates():
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--validate", stdout=io.StringIO())


def test_app_only_stats_endpoint_is_documented_with_its_scope(schema):
    operation = schema["paths"]["/api/stats"]["get"]

    assert {"oauth2": ["stats:read"]} in operation["security"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Stats"
    }


def test_the_readme_is_short_and_reaches_every_docs_page():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()

    assert len(readme.splitlines()) <= 150
    for page in (root / "docs").glob("*.md"):
        assert f"](docs/{page.name})" in readme, page.name


def test_every_relative_link_in_the_readme_and_docs_leads_to_a_file():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for page in [root / "README.md", *(root / "docs").glob("*.md")]:
        for target in re.findall(r"\]\((?!https?://|#)([^)#]+)", page.read_text()):
            assert (page.parent / target).exists(), (page.name, target)


def test_every_curl_in_the_readme_and_docs_is_quiet_but_shows_errors():
    """Copied into a terminal, a documented curl prints the answer, not a progress meter, and
    still says why it failed (``-sS``)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    calls = [
        (page.name, call)
        for page in [root / "README.md", *(root / "docs").glob("*.md")]
        for call in re.findall(r"(?:^|[ $(`])curl [^\n]*", page.read_text(), re.M)
    ]

    assert len(calls) > 20
    assert [(page, call) for page, call in calls if "curl -sS " not in call] == []
