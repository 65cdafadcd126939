import pytest
from django.contrib.auth.hashers import check_password
from rest_framework.test import APIClient

from oauthclients.models import Client
from tests.factories import ClientFactory
from tests.support.http import basic_api, bearer_api
from tests.support.oauth import AccessToken, token_counts

REGISTER = "/api/oauth2/register"
METADATA = {
    "client_name": "Native Beer",
    "redirect_uris": ["com.example.beer:/cb", "http://127.0.0.1/cb"],
    "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
    "token_endpoint_auth_method": "client_secret_post",
    "scope": "beers:read stats:read",
}


def register(api, **changes):
    return api.post(REGISTER, {**METADATA, **changes}, format="json")


def test_registration_needs_a_signed_in_user(db, api_client):
    response = register(api_client)
    assert response.status_code == 401
    assert response.json()["error"] == "access_denied"
    assert response["WWW-Authenticate"] == "Bearer"
    assert not Client.objects.exists()


def test_wrong_password_cannot_register(user):
    api = basic_api(user.username, "wrong")
    assert register(api).status_code == 401
    assert not Client.objects.exists()


def test_user_registers_a_multi_grant_client_with_basic(basic_client, user):
    response = register(basic_client)

    assert response.status_code == 201
    body = response.json()
    assert body["client_name"] == "Native Beer"
    assert body["redirect_uris"] == METADATA["redirect_uris"]
    assert body["grant_types"] == METADATA["grant_types"]
    assert body["token_endpoint_auth_method"] == "client_secret_post"
    assert body["scope"] == "beers:read stats:read"
    assert body["client_secret_expires_at"] == 0
    assert body["registration_client_uri"] == f"http://testserver{REGISTER}/{body['client_id']}"
    assert body["registration_access_token"]
    assert response["Cache-Control"] == "no-store"
    stored = Client.objects.get(client_id=body["client_id"])
    assert stored.user == user
    assert stored.registration_source == Client.RegistrationSource.DCR
    assert check_password(body["client_secret"], stored.client_secret)
    assert body["client_secret"] not in stored.client_secret
    # The registration access token is hashed at rest too.
    assert not AccessToken.objects.filter(token=body["registration_access_token"]).exists()


def test_trailing_slash_and_rfc7591_defaults(basic_client):
    response = basic_client.post(
        REGISTER + "/", {"client_name": "Web", "redirect_uris": ["https://web.example.com/cb"]}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["grant_types"] == ["authorization_code"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"


def test_public_client_gets_no_secret(basic_client):
    response = register(
        basic_client, token_endpoint_auth_method="none", grant_types=["authorization_code"], scope=""
    )
    assert response.status_code == 201
    assert "client_secret" not in response.json()
    assert Client.objects.get().client_type == Client.CLIENT_PUBLIC


def test_bearer_token_with_clients_scope_may_register(bearer_client, user):
    response = register(bearer_client("clients"))
    assert response.status_code == 201
    assert Client.objects.get(client_id=response.json()["client_id"]).user == user


def test_bearer_token_without_clients_scope_may_not(bearer_client):
    before = Client.objects.count()
    response = register(bearer_client("beers:read beers:write"))
    assert response.status_code == 401
    assert Client.objects.count() == before + 1  # only the token's own client


def test_session_needs_csrf(user):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(user)
    assert register(api).status_code == 401
    assert not Client.objects.exists()

    csrf_secret = "a" * 32
    api.cookies["csrftoken"] = csrf_secret
    response = api.post(REGISTER, METADATA, format="json", HTTP_X_CSRFTOKEN=csrf_secret)
    assert response.status_code == 201
    assert Client.objects.get().user == user


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"redirect_uris": ["https://*.example.com/cb"]}, "invalid_redirect_uri", "contains a wildcard"),
        ({"redirect_uris": ["http://example.com/cb"]}, "invalid_redirect_uri", "uses http"),
        ({"redirect_uris": "https://example.com/cb"}, "invalid_redirect_uri", "must be a list"),
        ({"grant_types": ["magic"]}, "invalid_client_metadata", "'magic' is not a supported grant type"),
        ({"token_endpoint_auth_method": "none"}, "invalid_client_metadata", "public client"),
        ({"scope": "root"}, "invalid_client_metadata", "Unknown scope root"),
        ({"client_name": 7}, "invalid_client_metadata", "client_name: Give the client a name"),
        # NUL reached PostgreSQL as a DataError (500); other control characters were stored as is.
        ({"redirect_uris": ["https://example.com/cb\u0000"]}, "invalid_redirect_uri", "control character"),
        ({"redirect_uris": ["https://example.com/c\u007fb"]}, "invalid_redirect_uri", "control character"),
        ({"client_name": "Beer\u0000"}, "invalid_client_metadata", "name contains a control"),
        ({"client_name": "Beer\u001b[31m"}, "invalid_client_metadata", "name contains a control"),
    ],
)
def test_invalid_metadata_is_refused_with_the_shared_rules(basic_client, changes, error, message):
    response = register(basic_client, **changes)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert message in response.json()["error_description"]
    assert not Client.objects.exists()
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "description"),
    [
        ("not json", "application/json", "Request body must be valid JSON"),
        ("[1, 2]", "application/json", "Request body must be a JSON object"),
        ('{"client_name": "Form"}', "text/plain", "Send the client metadata as application/json."),
    ],
)
def test_body_must_be_a_json_object(basic_client, body, content_type, description):
    response = basic_client.generic("POST", REGISTER, body, content_type=content_type)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_client_metadata", "error_description": description}
    assert not Client.objects.exists()


def test_registration_can_be_switched_off(basic_client, settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "DCR_ENABLED": False}
    assert register(basic_client).status_code == 404
    assert not Client.objects.exists()


@pytest.fixture
def registered(basic_client):
    """A dynamically registered client's response body."""
    return register(basic_client).json()


def test_registration_access_token_never_acts_as_the_user(registered):
    api = bearer_api(registered["registration_access_token"])
    for path in ["/api/beers", "/api/users/me", "/api/clients"]:
        response = api.get(path)
        assert response.status_code == 403, path
        assert "registration access token only manages its registration" in response.json()["detail"]
    assert api.post("/api/beers", {"name": "Sneaky"}, format="json").status_code == 403


def test_read_configuration_with_the_registration_token(registered):
    response = bearer_api(registered["registration_access_token"]).get(registered["registration_client_uri"])
    assert response.status_code == 200
    body = response.json()
    assert body["client_id"] == registered["client_id"]
    assert body["grant_types"] == METADATA["grant_types"]
    assert body["registration_access_token"] == registered["registration_access_token"]
    assert "client_secret" not in body


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_configuration_needs_the_registration_token(registered, token):
    api = bearer_api(token) if token else APIClient()
    response = api.get(registered["registration_client_uri"])
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_registration_token_only_reaches_its_own_client(basic_client, registered):
    second = register(basic_client, client_name="Second").json()
    response = bearer_api(registered["registration_access_token"]).delete(second["registration_client_uri"])
    assert response.status_code == 401
    assert Client.objects.filter(client_id=second["client_id"]).exists()


def test_a_user_access_token_cannot_manage_a_manual_client(user, access_token):
    manual = ClientFactory(user=user)
    token = access_token(scope="oauth2_provider:registration", application=manual)
    response = bearer_api(token).delete(f"{REGISTER}/{manual.client_id}")
    assert response.status_code == 401
    assert Client.objects.filter(pk=manual.pk).exists()


def test_replace_configuration_revalidates_and_rotates_the_registration_token(registered):
    old_token = registered["registration_access_token"]
    response = bearer_api(old_token).put(
        registered["registration_client_uri"],
        {
            "client_id": registered["client_id"],
            "client_name": "Renamed",
            "redirect_uris": ["https://beer.example.com/cb"],
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": "beers:read",
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["client_name"] == "Renamed"
    assert body["grant_types"] == ["authorization_code"]
    stored = Client.objects.get(client_id=registered["client_id"])
    assert stored.redirect_uris == "https://beer.example.com/cb"
    assert stored.authorization_grant_type == Client.GRANT_AUTHORIZATION_CODE
    new_token = body["registration_access_token"]
    assert new_token != old_token
    assert bearer_api(old_token).get(registered["registration_client_uri"]).status_code == 401
    assert bearer_api(new_token).get(registered["registration_client_uri"]).status_code == 200


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"redirect_uris": ["https://beer.example.com/cb#x"]}, "invalid_redirect_uri"),
        ({"token_endpoint_auth_method": "none"}, "invalid_client_metadata"),
        ({"client_id": "someone-else"}, "invalid_client_metadata"),
    ],
)
def test_replace_with_invalid_metadata_writes_nothing(registered, changes, error):
    token = registered["registration_access_token"]
    before = Client.objects.values().get(client_id=registered["client_id"])
    response = bearer_api(token).put(
        registered["registration_client_uri"], {**METADATA, **changes}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert Client.objects.values().get(client_id=registered["client_id"]) == before
    assert bearer_api(token).get(registered["registration_client_uri"]).status_code == 200


def test_delete_configuration_removes_the_client_and_its_tokens(registered, user, issue_tokens):
    client = Client.objects.get(client_id=registered["client_id"])
    issue_tokens(client, user)
    response = bearer_api(registered["registration_access_token"]).delete(
        registered["registration_client_uri"] + "/"
    )
    assert response.status_code == 204
    assert not Client.objects.filter(pk=client.pk).exists()
    assert token_counts(client) == (0, 0, 0)


def test_replace_needs_the_registration_token_and_a_json_body(registered):
    uri = registered["registration_client_uri"]
    assert APIClient().put(uri, METADATA, format="json").status_code == 401
    response = bearer_api(registered["registration_access_token"]).generic(
        "PUT", uri, "client_name=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert Client.objects.get(client_id=registered["client_id"]).name == "Native Beer"


def test_replace_keeps_the_registration_token_when_rotation_is_off(registered, settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "DCR_ROTATE_REGISTRATION_TOKEN_ON_UPDATE": False}
    token = registered["registration_access_token"]
    response = bearer_api(token).put(
        registered["registration_client_uri"], {**METADATA, "client_name": "Kept"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["registration_access_token"] == token
    assert Client.objects.get(client_id=registered["client_id"]).name == "Kept"


# --- Open registration (OAUTHCLIENTS["DCR_OPEN"]) ------------------------------------------------

RELYING_PARTY = {
    "client_name": "Open RP",
    "redirect_uris": ["https://rp.example.com/cb"],
    "grant_types": ["authorization_code", "refresh_token"],
}


@pytest.fixture
def open_registration(settings, db):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "DCR_OPEN": True}


def test_open_registration_is_off_by_default(db, api_client):
    response = api_client.post(REGISTER, RELYING_PARTY, format="json")
    assert response.status_code == 401
    assert response.json()["error"] == "access_denied"
    assert not Client.objects.exists()


def test_open_registration_creates_an_ownerless_client(open_registration, api_client, user):
    response = api_client.post(REGISTER, RELYING_PARTY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client_secret"] and body["registration_access_token"]
    assert body["scope"] == "openid profile email beers:read beers:write"
    stored = Client.objects.get(client_id=body["client_id"])
    assert stored.user is None
    assert stored.registration_source == Client.RegistrationSource.DCR
    # No one's developer portal or client API lists it.
    assert not Client.objects.owned_by(user).exists()
    # Its registration access token manages it (RFC 7592).
    read = bearer_api(body["registration_access_token"]).get(f"{REGISTER}/{body['client_id']}")
    assert read.status_code == 200
    assert read.json()["client_id"] == body["client_id"]


def test_open_registration_still_owns_a_signed_in_users_client(open_registration, basic_client, user):
    response = basic_client.post(REGISTER, RELYING_PARTY, format="json")
    assert response.status_code == 201
    assert Client.objects.get(client_id=response.json()["client_id"]).user == user


def test_open_registration_still_refuses_wrong_credentials(open_registration, user):
    response = basic_api(user.username, "wrong").post(REGISTER, RELYING_PARTY, format="json")
    assert response.status_code == 401
    assert not Client.objects.exists()


def test_ownerless_clients_cannot_act_for_themselves(open_registration, api_client):
    response = api_client.post(
        REGISTER,
        {**RELYING_PARTY, "grant_types": ["client_credentials"], "scope": "stats:read"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert "client_credentials" in response.json()["error_description"]
    assert not Client.objects.exists()


def test_ownerless_client_cannot_add_client_credentials_later(open_registration, api_client):
    body = api_client.post(REGISTER, RELYING_PARTY, format="json").json()
    replaced = bearer_api(body["registration_access_token"]).put(
        f"{REGISTER}/{body['client_id']}",
        {**RELYING_PARTY, "client_id": body["client_id"], "grant_types": ["client_credentials"]},
        format="json",
    )
    assert replaced.status_code == 400
    assert Client.objects.get(client_id=body["client_id"]).grant_types == RELYING_PARTY["grant_types"]


def test_anonymous_registrations_are_throttled_per_address(
    open_registration, api_client, basic_client, monkeypatch
):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"dcr": "2/hour"})
    for _ in range(2):
        assert api_client.post(REGISTER, RELYING_PARTY, format="json").status_code == 201
    throttled = api_client.post(REGISTER, RELYING_PARTY, format="json")
    assert throttled.status_code == 429
    assert throttled.has_header("Retry-After")
    assert Client.objects.count() == 2
    # A signed-in user's registrations are not counted against the address.
    assert basic_client.post(REGISTER, RELYING_PARTY, format="json").status_code == 201


def test_consent_page_says_an_ownerless_client_registered_itself(open_registration, api_client, signed_in):
    body = api_client.post(REGISTER, RELYING_PARTY, format="json").json()
    page = signed_in.get(
        "/api/oauth2/authorize",
        {
            "client_id": body["client_id"],
            "response_type": "code",
            "redirect_uri": RELYING_PARTY["redirect_uris"][0],
            "scope": "openid",
        },
    )
    assert page.status_code == 200
    assert b"registered itself anonymously" in page.content
    assert b"registered by <strong>Beer Locker" not in page.content
