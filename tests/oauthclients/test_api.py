import pytest
from django.contrib.auth.hashers import check_password
from rest_framework.test import APIClient

from oauthclients.models import Client
from tests.factories import ClientFactory
from tests.support.http import basic_api, basic_auth_header, bearer_api
from tests.support.oauth import token_counts

NEW_CLIENT = {
    "client_name": "Beer Buddy",
    "redirect_uris": ["https://buddy.example.com/cb"],
    "grant_types": ["authorization_code", "refresh_token"],
    "token_endpoint_auth_method": "client_secret_basic",
    "scope": "beers:read",
}
METADATA_KEYS = {
    "client_id",
    "client_id_issued_at",
    "client_name",
    "redirect_uris",
    "grant_types",
    "token_endpoint_auth_method",
    "access_token_format",
    "scope",
    "post_logout_redirect_uris",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "id_token_signed_response_alg",
    "require_pushed_authorization_requests",
    "dpop_bound_access_tokens",
}


def create(api, **changes):
    return api.post("/api/clients", {**NEW_CLIENT, **changes}, format="json")


def test_create_answers_201_with_rfc7591_metadata_and_the_secret(basic_client, user):
    response = create(basic_client)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == METADATA_KEYS | {"client_secret"}
    assert body["client_name"] == "Beer Buddy"
    assert body["redirect_uris"] == ["https://buddy.example.com/cb"]
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["scope"] == "beers:read"
    assert isinstance(body["client_id_issued_at"], int)
    assert response["Cache-Control"] == "no-store"
    stored = Client.objects.get(client_id=body["client_id"])
    assert stored.user == user
    assert int(stored.created.timestamp()) == body["client_id_issued_at"]
    # Hashed at rest: the raw secret is nowhere in the row.
    assert body["client_secret"] not in stored.client_secret
    assert check_password(body["client_secret"], stored.client_secret)


def test_create_uses_rfc7591_defaults(basic_client):
    response = basic_client.post(
        "/api/clients/",
        {"client_name": "Minimal", "redirect_uris": ["https://m.example.com/cb"]},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["grant_types"] == ["authorization_code"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["scope"] == "beers:read beers:write"


def test_public_client_is_created_without_a_secret(basic_client):
    response = create(basic_client, token_endpoint_auth_method="none", redirect_uris=["com.example.app:/cb"])
    assert response.status_code == 201
    assert "client_secret" not in response.json()
    assert Client.objects.get().client_type == Client.CLIENT_PUBLIC


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"redirect_uris": ["http://buddy.example.com/cb"]}, "redirect_uris", "uses http"),
        ({"redirect_uris": "https://buddy.example.com/cb"}, "redirect_uris", "Expected a list"),
        ({"grant_types": ["magic"]}, "grant_types", "'magic' is not a supported grant type"),
        ({"scope": "admin"}, "scope", "Unknown scope admin"),
        ({"token_endpoint_auth_method": "none", "grant_types": ["password"]}, "grant_types", "public client"),
        ({"client_name": ""}, "client_name", "may not be blank"),
        ({"client_name": "   "}, "client_name", "Give the client a name"),
    ],
)
def test_create_refuses_invalid_metadata_with_messages_and_writes_nothing(
    basic_client, changes, field, message
):
    response = create(basic_client, **changes)
    assert response.status_code == 400
    assert any(message in text for text in response.json()[field]), response.json()
    assert not Client.objects.exists()


def test_secret_is_never_shown_again(basic_client):
    created = create(basic_client).json()

    listed = basic_client.get("/api/clients").json()["results"]
    detail = basic_client.get(f"/api/clients/{created['client_id']}").json()

    assert [set(item) for item in listed] == [METADATA_KEYS]
    assert set(detail) == METADATA_KEYS
    assert created["client_secret"] not in str(listed) + str(detail)


def test_list_shows_only_own_clients_paginated(basic_client, user, other_user):
    mine = [ClientFactory(user=user) for _ in range(3)]
    ClientFactory(user=other_user)

    response = basic_client.get("/api/clients/?page_size=2")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None
    page2 = basic_client.get(body["next"]).json()["results"]
    assert {item["client_id"] for item in body["results"] + page2} == {client.client_id for client in mine}


def test_list_costs_a_fixed_number_of_queries(basic_client, user, django_assert_max_num_queries):
    for _ in range(5):
        ClientFactory(user=user)
    # Basic auth (user, then whether they have a second factor), count, page: nothing per client.
    with django_assert_max_num_queries(4):
        response = basic_client.get("/api/clients")
    assert len(response.json()["results"]) == 5


def test_requests_without_credentials_get_401(api_client, application):
    for method, path in [
        ("get", "/api/clients"),
        ("post", "/api/clients"),
        ("get", f"/api/clients/{application.client_id}"),
        ("patch", f"/api/clients/{application.client_id}"),
        ("delete", f"/api/clients/{application.client_id}"),
        ("post", f"/api/clients/{application.client_id}/rotate-secret"),
    ]:
        response = getattr(api_client, method)(path)
        assert response.status_code == 401, (method, path)
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert Client.objects.count() == 1


def test_wrong_password_gets_401(application, user):
    api = basic_api(user.username, "wrong")
    response = api.get("/api/clients")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid username/password."}


def test_bearer_token_without_clients_scope_gets_403(bearer_client):
    api = bearer_client("beers:read beers:write profile")
    before = Client.objects.count()  # the client the token was issued to
    for response in [api.get("/api/clients"), create(api)]:
        assert response.status_code == 403
        assert 'error="insufficient_scope", scope="clients"' in response["WWW-Authenticate"]
    assert Client.objects.count() == before


def test_bearer_token_with_clients_scope_manages_the_users_clients(bearer_client, user):
    api = bearer_client("clients")
    created = create(api)
    assert created.status_code == 201
    assert Client.objects.get(client_id=created.json()["client_id"]).user == user
    assert api.get("/api/clients").json()["count"] == 1


def test_another_users_client_is_404_and_untouched(basic_client, other_user, issue_tokens):
    theirs = ClientFactory(user=other_user, name="Theirs")
    issue_tokens(theirs, other_user)
    path = f"/api/clients/{theirs.client_id}"

    assert basic_client.get(path).status_code == 404
    assert basic_client.patch(path, {"client_name": "Mine now"}, format="json").status_code == 404
    assert basic_client.delete(path).status_code == 404
    assert basic_client.post(f"{path}/rotate-secret", content_type="application/json").status_code == 404

    stored = Client.objects.get(pk=theirs.pk)
    assert stored.name == "Theirs"
    assert stored.client_secret == theirs.client_secret
    assert token_counts(theirs) == (1, 1, 1)


def test_unknown_client_is_404(basic_client):
    response = basic_client.get("/api/clients/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Client matches the given query."}


def test_patch_changes_metadata(basic_client, application):
    response = basic_client.patch(
        f"/api/clients/{application.client_id}/",
        {"client_name": "Renamed", "redirect_uris": ["http://localhost:9000/cb", "https://a.example.com/cb"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["client_name"] == "Renamed"
    assert "client_secret" not in response.json()
    stored = Client.objects.get(pk=application.pk)
    assert stored.name == "Renamed"
    assert stored.redirect_uris == "http://localhost:9000/cb https://a.example.com/cb"
    assert stored.grant_types == application.grant_types


def test_patch_without_a_name_keeps_it(basic_client, application):
    response = basic_client.patch(
        f"/api/clients/{application.client_id}", {"scope": "profile"}, format="json"
    )
    assert response.status_code == 200
    stored = Client.objects.get(pk=application.pk)
    assert stored.scope == "profile"
    assert stored.name == application.name


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"client_name": "Renamed", "redirect_uris": ["https://a.example.com/cb#x"]}, "redirect_uris"),
        ({"client_name": "Renamed", "grant_types": ["implicit", "implicit"]}, "grant_types"),
        ({"client_name": "Renamed", "redirect_uris": []}, "redirect_uris"),
        ({"client_name": "Renamed", "scope": "stats:read"}, "scope"),
        ({"client_name": "Renamed", "token_endpoint_auth_method": "none"}, "token_endpoint_auth_method"),
    ],
)
def test_patch_revalidates_and_writes_nothing_on_failure(basic_client, application, body, field):
    before = Client.objects.values().get(pk=application.pk)
    response = basic_client.patch(f"/api/clients/{application.client_id}", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Client.objects.values().get(pk=application.pk) == before


def test_put_is_not_allowed(basic_client, application):
    response = basic_client.put(f"/api/clients/{application.client_id}", NEW_CLIENT, format="json")
    assert response.status_code == 405


def test_delete_removes_the_client_and_its_tokens(basic_client, user, application, issue_tokens):
    raw_token = issue_tokens(application, user)

    response = basic_client.delete(f"/api/clients/{application.client_id}")

    assert response.status_code == 204
    assert not Client.objects.filter(pk=application.pk).exists()
    assert token_counts(application) == (0, 0, 0)
    bearer = bearer_api(raw_token)
    assert bearer.get("/api/beers").status_code == 401


@pytest.mark.urls("tests.oauthclients.urls")
def test_rotate_secret_shows_a_new_secret_once_and_the_old_one_stops_working(basic_client):
    created = create(
        basic_client, grant_types=["client_credentials"], redirect_uris=[], scope="stats:read"
    ).json()
    client_id, old_secret = created["client_id"], created["client_secret"]
    token_request = {"grant_type": "client_credentials", "scope": "stats:read"}
    assert (
        APIClient()
        .post("/test-token/", token_request, HTTP_AUTHORIZATION=basic_auth_header(client_id, old_secret))
        .status_code
        == 200
    )

    response = basic_client.post(f"/api/clients/{client_id}/rotate-secret", content_type="application/json")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == METADATA_KEYS | {"client_secret"}
    new_secret = body["client_secret"]
    assert new_secret != old_secret
    old = APIClient().post(
        "/test-token/", token_request, HTTP_AUTHORIZATION=basic_auth_header(client_id, old_secret)
    )
    assert old.status_code == 401
    assert old.json()["error"] == "invalid_client"
    new = APIClient().post(
        "/test-token/", token_request, HTTP_AUTHORIZATION=basic_auth_header(client_id, new_secret)
    )
    assert new.status_code == 200
    assert "client_secret" not in basic_client.get(f"/api/clients/{client_id}").json()


def test_rotate_secret_of_a_public_client_is_400(basic_client, user):
    public = ClientFactory(user=user, token_endpoint_auth_method="none")
    response = basic_client.post(
        f"/api/clients/{public.client_id}/rotate-secret/", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"token_endpoint_auth_method": ["A public client has no secret to rotate."]}
    assert Client.objects.get(pk=public.pk).client_secret == public.client_secret
