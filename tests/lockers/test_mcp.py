"""/mcp through Django's test client: who may call it (our bearer tokens, bound to /mcp, with each
tool's scope), what each refusal tells the client (RFC 6750 + RFC 9728 challenges), and what the
tools do to the caller's own locker. The SDK's own client against a live server:
tests/lockers/test_mcp_client.py; in Chromium: tests/browser/test_mcp.py."""

import hashlib
import json

import pytest
from oauth2_provider.models import get_access_token_model

from lockers.models import Beer
from tests.factories import BeerFactory

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()

MCP = "http://testserver/mcp"
METADATA = "http://testserver/.well-known/oauth-protected-resource/mcp"
ACCEPT = "application/json, text/event-stream"


@pytest.fixture
def mcp_token(access_token):
    """``mcp_token(scope, resource=[MCP])``: a token for ``user`` whose RFC 8707 audience is ``resource``."""

    def mint(scope="beers:read beers:write", *, resource=(MCP,), **kwargs):
        token = access_token(scope, **kwargs)
        checksum = hashlib.sha256(token.encode()).hexdigest()
        AccessToken.objects.filter(token_checksum=checksum).update(resource=list(resource))
        return token

    return mint


def rpc(client, method, params=None, *, token=None, **headers):
    """POST one JSON-RPC request to /mcp; the response."""
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": method,
        **({"params": params} if params is not None else {}),
    }
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(
        "/mcp", json.dumps(message), content_type="application/json", HTTP_ACCEPT=ACCEPT, **headers
    )


def call(client, token, tool, **arguments):
    """Call ``tool``; the JSON-RPC result (``structuredContent``, ``isError``, ``content``)."""
    response = rpc(client, "tools/call", {"name": tool, "arguments": arguments}, token=token)
    assert response.status_code == 200, response.content
    return response.json()["result"]


def test_deeply_nested_json_rpc_is_refused_not_a_500(client, mcp_token):
    body = '{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ' + "[" * 2000 + "]" * 2000 + "}"

    response = client.post(
        "/mcp",
        body,
        content_type="application/json",
        HTTP_ACCEPT=ACCEPT,
        HTTP_AUTHORIZATION=f"Bearer {mcp_token()}",
    )

    assert 400 <= response.status_code < 500 or response.json()["error"]["code"] < 0, response.content
    assert not Beer.objects.exists()


# --- Who may call /mcp -----------------------------------------------------------------------------


def test_no_token_is_a_401_pointing_at_the_resource_metadata(client):
    response = rpc(client, "tools/list")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response.headers["WWW-Authenticate"] == f'Bearer realm="mcp",resource_metadata="{METADATA}"'


def test_the_resource_metadata_names_the_endpoint_our_server_and_the_beer_scopes(client):
    response = client.get("/.well-known/oauth-protected-resource/mcp")

    assert response.status_code == 200
    assert response.json() == {
        "resource": MCP,
        "authorization_servers": ["http://testserver/api/oauth2"],
        "scopes_supported": ["beers:read", "beers:write"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Beer Locker (MCP)",
    }


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(["http://testserver/api"], id="the-rest-api"),
        pytest.param(["https://elsewhere.example/mcp"], id="another-server"),
        pytest.param([], id="no-audience"),
    ],
)
def test_a_token_not_bound_to_mcp_is_a_401_invalid_token(client, user, mcp_token, resource):
    BeerFactory(owner=user)

    response = rpc(
        client, "tools/call", {"name": "list_beers", "arguments": {}}, token=mcp_token(resource=resource)
    )

    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="mcp",error="invalid_token"')
    assert challenge.endswith(f'resource_metadata="{METADATA}"')
    assert "beers" not in response.content.decode()


def test_an_unknown_token_is_a_401_invalid_token(client):
    response = rpc(client, "tools/list", token="not-a-real-token")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert f'resource_metadata="{METADATA}"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("scope", "tool", "arguments", "wanted"),
    [
        ("beers:read", "add_beer", {"name": "Orval"}, "beers:write"),
        ("beers:read", "drink_beer", {"beer_id": 1}, "beers:write"),
        ("profile", "list_beers", {}, "beers:read"),
    ],
)
def test_a_token_without_the_tools_scope_is_a_403_insufficient_scope_and_writes_nothing(
    client, user, mcp_token, scope, tool, arguments, wanted
):
    BeerFactory(owner=user, name="Orval", quantity=3)

    response = rpc(client, "tools/call", {"name": tool, "arguments": arguments}, token=mcp_token(scope))

    assert response.status_code == 403
    assert response.json() == {"detail": f"This token does not have the scope this tool needs: {wanted}."}
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="mcp", error="insufficient_scope", scope="{wanted}", resource_metadata="{METADATA}"'
    )
    assert list(Beer.objects.values_list("name", "quantity")) == [("Orval", 3)]


def test_a_read_token_lists_the_tools_and_its_beers(client, user, mcp_token):
    response = rpc(client, "tools/list", token=mcp_token("beers:read"))

    assert response.status_code == 200
    assert [tool["name"] for tool in response.json()["result"]["tools"]] == [
        "list_beers",
        "add_beer",
        "drink_beer",
    ]


def test_an_applications_own_token_has_no_locker(client, mcp_token):
    response = rpc(client, "tools/list", token=mcp_token(user=None))

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This token acts for no user: an MCP client calls the locker on a user's behalf."
    }


def test_get_and_delete_are_405_a_stateless_server_has_no_stream_or_session(client, mcp_token):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {mcp_token()}", "HTTP_ACCEPT": ACCEPT}

    assert client.get("/mcp", **headers).status_code == 405
    assert client.delete("/mcp", **headers).status_code == 405


def test_a_page_on_another_site_is_refused_by_its_origin(client, user, mcp_token):
    response = rpc(
        client,
        "tools/call",
        {"name": "add_beer", "arguments": {"name": "Orval"}},
        token=mcp_token(),
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == 403
    assert not Beer.objects.exists()


# --- What the tools do -----------------------------------------------------------------------------


def test_list_beers_answers_only_the_callers_beers(client, user, other_user, mcp_token):
    mine = BeerFactory(owner=user, name="Orval", type="Trappist", quantity=2)
    BeerFactory(owner=other_user, name="Not mine")

    result = call(client, mcp_token("beers:read"), "list_beers")

    assert result["isError"] is False
    assert result["structuredContent"] == {
        "count": 1,
        "beers": [{"id": mine.pk, "name": "Orval", "type": "Trappist", "quantity": 2}],
    }


def test_list_beers_reads_the_locker_in_a_bounded_number_of_queries(
    client, user, mcp_token, django_assert_max_num_queries
):
    token = mcp_token("beers:read")
    for n in range(5):
        BeerFactory(owner=user, name=f"Beer {n}")

    # Whatever the locker holds: the token (with its user and audience, one query) and the beers.
    with django_assert_max_num_queries(2):
        result = call(client, token, "list_beers")

    assert result["structuredContent"]["count"] == 5


def test_add_beer_adds_to_the_callers_locker(client, user, mcp_token):
    result = call(client, mcp_token(), "add_beer", name="Orval", type="Trappist", quantity=6)

    beer = Beer.objects.get()
    assert (beer.owner, beer.name, beer.type, beer.quantity) == (user, "Orval", "Trappist", 6)
    assert result["structuredContent"] == {"id": beer.pk, "name": "Orval", "type": "Trappist", "quantity": 6}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"name": ""}, "This field cannot be blank."),
        ({"name": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"name": "Orval", "quantity": -1}, "greater than or equal to 0"),
    ],
)
def test_add_beer_refuses_invalid_beers_and_writes_nothing(client, mcp_token, arguments, message):
    result = call(client, mcp_token(), "add_beer", **arguments)

    assert result["isError"] is True
    assert message in result["content"][0]["text"]
    assert not Beer.objects.exists()


def test_drink_beer_takes_one_bottle(client, user, mcp_token):
    beer = BeerFactory(owner=user, name="Orval", quantity=2)

    result = call(client, mcp_token(), "drink_beer", beer_id=beer.pk)

    assert result["structuredContent"]["quantity"] == 1
    assert Beer.objects.get().quantity == 1


def test_drink_beer_at_zero_is_refused_and_the_beer_stays(client, user, mcp_token):
    beer = BeerFactory(owner=user, name="Orval", quantity=0)

    result = call(client, mcp_token(), "drink_beer", beer_id=beer.pk)

    assert result["isError"] is True
    assert result["content"][0]["text"].endswith("No bottles of Orval are left.")
    assert list(Beer.objects.values_list("pk", "quantity")) == [(beer.pk, 0)]


def test_drink_beer_of_another_user_is_refused_as_if_it_did_not_exist(client, user, other_user, mcp_token):
    theirs = BeerFactory(owner=other_user, name="Theirs", quantity=2)

    result = call(client, mcp_token(), "drink_beer", beer_id=theirs.pk)

    assert result["isError"] is True
    assert result["content"][0]["text"].endswith(f"There is no beer {theirs.pk} in your locker.")
    assert Beer.objects.get().quantity == 2


def test_a_token_bound_to_mcp_is_refused_by_the_rest_api(client, user, mcp_token):
    BeerFactory(owner=user)

    response = client.get("/api/beers", HTTP_AUTHORIZATION=f"Bearer {mcp_token()}")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "count" not in response.json()
