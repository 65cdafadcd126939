"""RFC 8707 audience-bound tokens end to end: a client asks for ``resource``, the token carries it
(introspection ``aud``), the API accepts it and refuses a token for another resource; a resource
the server does not serve is ``invalid_target``; a refresh may narrow, never widen."""

from urllib.parse import urlencode

import pytest
from oauth2_provider.models import get_access_token_model, get_grant_model

from oauthclients.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, REFRESH_TOKEN
from tests.factories import make_client
from tests.support.http import bearer_api
from tests.support.oauth import (
    AUTHORIZE,
    INTROSPECT,
    TOKEN,
    authorize_url,
    client_post,
    consent,
    exchange_code,
    query,
    refresh,
    token_counts,
    user_tokens,
)

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()
Grant = get_grant_model()

API = "http://testserver/api/"
ELSEWHERE = "https://elsewhere.example.com/api/"
ISSUER = "http://testserver/api/oauth2"


@pytest.fixture
def app(user):
    return make_client(user=user, grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN])


@pytest.fixture
def two_resources(settings):
    """The server serves the API and a second protected resource (as an MCP endpoint would be)."""
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "RESOURCES": ["/api/", "/mcp"]}
    return API, "http://testserver/mcp"


def test_a_token_asked_for_the_api_is_bound_to_it_introspects_with_aud_and_reads_beers(
    signed_in, api_client, app
):
    client, secret = app
    introspector, introspector_secret = make_client(
        grant_types=[CLIENT_CREDENTIALS], allow_introspection=True
    )

    tokens = user_tokens(signed_in, api_client, client, secret, scope="beers:read", resource=API)

    assert AccessToken.objects.get().resource == [API]
    introspected = client_post(
        api_client, INTROSPECT, introspector, introspector_secret, token=tokens["access_token"]
    ).json()
    assert (introspected["active"], introspected["aud"]) == (True, [API])
    beers = bearer_api(tokens["access_token"]).get("/api/beers")
    assert (beers.status_code, beers.json()["results"]) == (200, [])


def test_a_token_bound_to_another_of_the_servers_resources_is_refused_by_the_api(
    signed_in, api_client, app, two_resources
):
    client, secret = app
    _, mcp = two_resources

    tokens = user_tokens(signed_in, api_client, client, secret, scope="beers:read", resource=mcp)
    response = bearer_api(tokens["access_token"]).get("/api/beers")

    assert response.status_code == 401
    assert response.json() == {"detail": "The access token is not valid for this resource."}
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="api",error="invalid_token",error_description=')
    assert 'resource_metadata="http://testserver/.well-known/oauth-protected-resource/api/"' in challenge


def test_authorize_sends_invalid_target_back_for_a_resource_the_server_does_not_serve(signed_in, app):
    client, _ = app

    response = signed_in.get(authorize_url(client, scope="beers:read", resource=ELSEWHERE))

    assert response.status_code == 302
    answer = query(response["Location"])
    assert (answer["error"], answer["state"], answer["iss"]) == ("invalid_target", "xyz-state", ISSUER)
    assert ELSEWHERE in answer["error_description"]
    assert not Grant.objects.exists()


def test_a_consent_form_tampered_to_name_another_resource_is_invalid_target(signed_in, app):
    client, _ = app
    page = signed_in.get(authorize_url(client, scope="beers:read", resource=API))
    form = {field: page.context["form"][field].value() or "" for field in page.context["form"].fields}

    response = signed_in.post(AUTHORIZE, {**form, "resource": ELSEWHERE, "allow": "Allow"})

    assert response.status_code == 303
    assert query(response["Location"])["error"] == "invalid_target"
    assert not Grant.objects.exists()


def test_the_token_endpoint_answers_invalid_target_and_keeps_the_code(signed_in, api_client, app):
    client, secret = app
    code = query(consent(signed_in, client, scope="beers:read"))["code"]

    refused = exchange_code(api_client, client, secret, code, resource=ELSEWHERE)
    retried = exchange_code(api_client, client, secret, code, resource=API)

    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_target"
    assert refused["Cache-Control"] == "no-store"
    assert retried.status_code == 200, retried.content  # nothing was spent by the refusal
    assert list(AccessToken.objects.values_list("resource", flat=True)) == [[API]]


def test_client_credentials_with_an_unknown_resource_writes_no_token(api_client):
    machine, secret = make_client(grant_types=[CLIENT_CREDENTIALS], scope="stats:read")

    refused = client_post(
        api_client, TOKEN, machine, secret, grant_type="client_credentials", resource=ELSEWHERE
    )
    allowed = client_post(api_client, TOKEN, machine, secret, grant_type="client_credentials", resource=API)

    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_target")
    assert allowed.status_code == 200
    assert list(AccessToken.objects.values_list("resource", flat=True)) == [[API]]


def consent_at(browser, url):
    """Allow the consent dialog of the authorization request ``url``; returns the redirect."""
    page = browser.get(url)
    assert page.status_code == 200, page.content
    form = {field: page.context["form"][field].value() or "" for field in page.context["form"].fields}
    response = browser.post(AUTHORIZE, {**form, "allow": "Allow"})
    assert response.status_code == 303, response.content
    return response["Location"]


def test_a_refresh_may_narrow_the_resources(signed_in, api_client, app, two_resources):
    client, secret = app
    api, mcp = two_resources
    url = f"{authorize_url(client, scope='beers:read', resource=api)}&{urlencode({'resource': mcp})}"
    code = query(consent_at(signed_in, url))["code"]
    tokens = exchange_code(api_client, client, secret, code).json()
    assert AccessToken.objects.get().resource == [api, mcp]

    narrowed = refresh(api_client, client, secret, tokens["refresh_token"], resource=api)

    assert narrowed.status_code == 200, narrowed.content
    assert AccessToken.objects.order_by("-id").first().resource == [api]
    assert bearer_api(narrowed.json()["access_token"]).get("/api/beers").status_code == 200


def test_a_refresh_never_widens_the_resources(signed_in, api_client, app, two_resources):
    client, secret = app
    api, mcp = two_resources
    tokens = user_tokens(signed_in, api_client, client, secret, scope="beers:read", resource=api)
    before = token_counts(client)

    widened = refresh(api_client, client, secret, tokens["refresh_token"], resource=mcp)
    unknown = refresh(api_client, client, secret, tokens["refresh_token"], resource=ELSEWHERE)
    after_refusals = token_counts(client)
    kept = refresh(api_client, client, secret, tokens["refresh_token"])

    assert (widened.status_code, widened.json()["error"]) == (400, "invalid_target")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_target")
    assert kept.status_code == 200, kept.content  # the refresh token survived both refusals
    assert after_refusals == before  # nothing written, nothing revoked
    assert AccessToken.objects.order_by("-id").first().resource == [api]
