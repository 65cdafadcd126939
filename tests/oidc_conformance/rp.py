"""A relying party that does what the OpenID Foundation conformance suite's OP tests do.

Each helper names the suite's conditions it re-creates (net.openid.conformance.condition.client.*),
so a test reads like the module it stands for. The browser signs in through the real sign-in form.
"""

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.test import Client as BrowserClient
from jwcrypto import jwk, jwt
from rest_framework.test import APIClient

from oauthclients.models import Client
from oauthclients.oauth2.oidc import authn
from oauthclients.oauth2.oidc.response_modes import RESPONSE_MODES_SUPPORTED
from tests.factories import PASSWORD
from tests.support.client_keys import ClientKey, public_jwks
from tests.support.http import basic_auth_header

DISCOVERY = "/api/oauth2/.well-known/openid-configuration"
REDIRECT_URI = "https://rp.example.com/callback"
# The suite's static clients: confidential web clients, as the Basic plan's configuration sets up.
STATIC_CLIENT_SCOPE = "openid profile email beers:read"
DYNAMIC_REDIRECT = "https://rp.example.com/dynamic/callback"
LOGIN_PATH = "/accounts/login/"


@dataclass
class RelyingParty:
    """A registered client as the suite configures it (static, or registered by DCR)."""

    client_id: str
    client_secret: str | None
    redirect_uri: str = REDIRECT_URI
    auth_method: str = "client_secret_basic"
    # The client's own key (tests.support.client_keys.ClientKey) for private_key_jwt.
    key: Any = None


def sign_in(user, browser=None) -> BrowserClient:
    """A browser signed in with the user's password, through the sign-in page."""
    browser = browser or BrowserClient()
    response = browser.post(LOGIN_PATH, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return browser


def discovery(api_client) -> dict:
    """GetDynamicServerConfiguration + CheckServerConfiguration."""
    response = api_client.get(DISCOVERY)
    assert response.status_code == 200
    config = response.json()
    for field in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        assert config.get(field), field
    return config


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def server_keys(api_client, config) -> jwk.JWKSet:
    """FetchServerKeys + ValidateServerJWKs + CheckForKeyIdInServerJWKs."""
    keys = api_client.get(path_of(config["jwks_uri"])).json()["keys"]
    assert keys and all(key.get("kid") for key in keys)
    assert all("d" not in key for key in keys)  # never a private part
    return jwk.JWKSet.from_json(json.dumps({"keys": keys}))


def auth_request(rp: RelyingParty, **params) -> dict:
    """CreateAuthorizationEndpointRequestFromClientInformation + CreateRandomStateValue +
    CreateRandomNonceValue (None drops a parameter)."""
    request = {
        "client_id": rp.client_id,
        "redirect_uri": rp.redirect_uri,
        "scope": "openid",
        "response_type": "code",
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        **params,
    }
    return {key: value for key, value in request.items() if value is not None}


class _FormPostPage(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields, self.scripts = None, {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "script":
            self.scripts.append(attrs)


def callback(response, rp: RelyingParty) -> tuple[str, dict]:
    """(where the response went, its parameters): a redirect's query or fragment, or a form_post
    page's fields. CheckMatchingCallbackParameters: it goes to the registered redirect URI."""
    if response.status_code in (302, 303):  # 303 See Other after a POST (the consent form)
        location = response["Location"]
        parts = urlsplit(location)
        own = dict(parse_qsl(urlsplit(rp.redirect_uri).query))
        params = {k: v for k, v in parse_qsl(parts.query) if own.get(k) != v}
        assert location.startswith(rp.redirect_uri.split("?")[0])
        if parts.fragment:
            return "fragment", params | dict(parse_qsl(parts.fragment))
        return "query", params
    assert response.status_code == 200, response.content
    page = _FormPostPage()
    page.feed(response.content.decode())
    assert page.action == rp.redirect_uri
    return "form_post", page.fields


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def request_object(claims: dict, key=None) -> str:
    """ConvertAuthorizationEndpointRequestToRequestObject + SerializeRequestObjectWithNullAlgorithm
    (no ``key``) or SignRequestObject (with the client's ``key``)."""
    if key is None:
        return f"{_b64({'alg': 'none'})}.{_b64(claims)}."
    return key.sign(claims)


def is_consent_page(response) -> bool:
    return response.status_code == 200 and b'id="authorizationForm"' in response.content


def answer_consent(browser, page, *, allow=True):
    """The user clicks Allow (or Deny) in the dialog: the form posts to its own page's URL."""
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "allow"}
    if allow:
        data["allow"] = "Allow"
    return browser.post(page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"], data)


def authorize(browser, rp: RelyingParty, request: dict, *, method="GET"):
    """BuildPlainRedirectToAuthorizationEndpoint, then the user: consents if asked. Returns the
    final response (a redirect to the client, a form_post page, or a sign-in redirect)."""
    if method == "GET":
        response = browser.get("/api/oauth2/authorize?" + urlencode(request))
    else:
        response = browser.post("/api/oauth2/authorize", request)
    if is_consent_page(response):
        response = answer_consent(browser, response)
    return response


def follow_sign_in(browser, user, response):
    """ExpectSecondLoginPage: the server sent the browser to sign in; the user does, and is sent
    back to the authorization request (consenting if asked)."""
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == LOGIN_PATH
    next_url = dict(parse_qsl(location.query))["next"]
    assert next_url.startswith("/api/oauth2/authorize")
    signed_in = browser.post(
        f"{LOGIN_PATH}?{location.query}", {"username": user.username, "password": PASSWORD, "next": next_url}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == next_url
    back = browser.get(next_url)
    if is_consent_page(back):
        back = answer_consent(browser, back)
    return back


def code_from(response, rp: RelyingParty, request: dict) -> str:
    """CheckIfAuthorizationEndpointError + CheckMatchingStateParameter +
    ExtractAuthorizationCodeFromAuthorizationResponse (+ RFC 9207 iss)."""
    _mode, params = callback(response, rp)
    assert "error" not in params, params
    assert params.get("state") == request.get("state")
    assert params["iss"] == "http://testserver/api/oauth2"
    return params["code"]


def token_request(api_client, rp: RelyingParty, data: dict):
    """CallTokenEndpoint with the client's authentication (AddBasicAuthClientSecretAuthentication-
    Parameters, AddFormBasedClientSecretAuthenticationParameters or a private_key_jwt assertion)."""
    headers = {}
    data = dict(data)
    if rp.auth_method == "private_key_jwt":
        # AddPrivateKeyJwtClientAuthToTokenEndpointRequest: iss=sub=client_id, aud=token endpoint.
        data |= {
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": rp.key.assertion(rp.client_id),
        }
    elif rp.auth_method == "client_secret_basic":
        headers["HTTP_AUTHORIZATION"] = basic_auth_header(rp.client_id, rp.client_secret)
    else:
        data |= {"client_id": rp.client_id, "client_secret": rp.client_secret}
    return api_client.post("/api/oauth2/token", data, **headers)


def exchange(api_client, rp: RelyingParty, code: str) -> dict:
    """CreateTokenEndpointRequestForAuthorizationCodeGrant + CheckIfTokenEndpointResponseError +
    CheckForAccessTokenValue + ExtractIdTokenFromTokenResponse + ValidateExpiresIn."""
    response = token_request(
        api_client, rp, {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri}
    )
    assert response.status_code == 200, response.content
    tokens = response.json()
    assert tokens["access_token"] and tokens["token_type"].lower() == "bearer"
    assert isinstance(tokens["expires_in"], int) and tokens["expires_in"] > 0
    assert tokens["id_token"]
    return tokens


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def validate_id_token(api_client, rp: RelyingParty, id_token: str, *, nonce=None, access_token=None) -> dict:
    """ValidateIdToken + ValidateIdTokenNonce + ValidateIdTokenSignature(+UsingKid) +
    CheckForSubjectInIdToken (+ ValidateAtHash when present); returns the claims."""
    config = discovery(api_client)
    keys = server_keys(api_client, config)
    header = _header(id_token)
    assert header["alg"] in config["id_token_signing_alg_values_supported"]
    assert header["alg"] == "RS256"
    assert keys.get_key(header["kid"]) is not None  # ValidateIdTokenSignatureUsingKid
    claims = json.loads(jwt.JWT(jwt=id_token, key=keys, algs=["RS256"]).claims)
    now = time.time()
    assert claims["iss"] == config["issuer"]
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert rp.client_id in aud
    if len(aud) > 1:
        assert claims.get("azp") == rp.client_id
    assert claims["exp"] > now
    assert claims["iat"] <= now + 5
    assert isinstance(claims["sub"], str) and claims["sub"]
    if nonce is not None:
        assert claims["nonce"] == nonce
    else:
        assert "nonce" not in claims
    if "auth_time" in claims:
        assert isinstance(claims["auth_time"], int) and claims["auth_time"] <= now + 5
    if access_token is not None and "at_hash" in claims:
        assert claims["at_hash"] == at_hash(access_token)
    # OIDC Core §5.3.2: no claim without a value.
    assert all(value not in ("", None, [], {}) for value in claims.values()), claims
    return claims


def _header(token: str) -> dict:
    encoded = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


def userinfo(api_client, access_token: str, *, method="GET", where="header"):
    """CallUserInfoEndpointWithBearerToken (GET, or POST with the token in the header or body)."""
    if method == "GET":
        return api_client.get("/api/oauth2/userinfo", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    if where == "header":
        return api_client.post("/api/oauth2/userinfo", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return api_client.post("/api/oauth2/userinfo", {"access_token": access_token})


def validate_userinfo(response, id_token_claims: dict) -> dict:
    """ExtractUserInfoFromUserInfoEndpointResponse + EnsureUserInfoContainsSub +
    VerifyUserInfoAndIdTokenInTokenEndpointSameSub + ValidateUserInfoStandardClaims (types, and
    no empty values)."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    info = response.json()
    assert info["sub"] == id_token_claims["sub"]
    for name in ("name", "given_name", "family_name", "preferred_username", "email"):
        if name in info:
            assert isinstance(info[name], str) and info[name]
    if "email_verified" in info:
        assert isinstance(info["email_verified"], bool)
    if "updated_at" in info:
        assert isinstance(info["updated_at"], int)  # EnsureUserInfoUpdatedAtValid
    assert all(value not in ("", None, [], {}) for value in info.values()), info
    return info


def run_flow(browser, api_client, rp, *, method="GET", **params):
    """AbstractOIDCCServerTest.performAuthorizationFlow for the code flow: request, callback,
    token request, ID token validation. Returns (request, tokens, id token claims)."""
    request = auth_request(rp, **params)
    code = code_from(authorize(browser, rp, request, method=method), rp, request)
    tokens = exchange(api_client, rp, code)
    claims = validate_id_token(
        api_client, rp, tokens["id_token"], nonce=request.get("nonce"), access_token=tokens["access_token"]
    )
    return request, tokens, claims


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
    assert config["request_object_signing_alg_values_supported"] == ["none", "RS256", "PS256", "ES256"]
    # CheckDiscEndpointGrantTypesSupported / ResponseModesSupported / acr_values_supported:
    # exactly what the server does.
    assert "authorization_code" in config["grant_types_supported"]
    assert config["response_modes_supported"] == RESPONSE_MODES_SUPPORTED
    assert config["acr_values_supported"] == authn.ACR_VALUES_SUPPORTED
    # userinfo is plain JSON, or signed as a client registers for it.
    assert config["userinfo_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]
    return config


# --- Dynamic registration as the suite does it -------------------------------------------------


def register(api_client, key=None, **metadata):
    """CreateDynamicRegistrationRequest + AddPublicJwksToDynamicRegistrationRequest +
    CallDynamicRegistrationEndpoint, anonymously, at the discovered registration_endpoint, with
    the plan's client variant (private_key_jwt); the suite sends no scope."""
    endpoint = discovery(api_client)["registration_endpoint"]
    body = {
        "client_name": "OIDF conformance",
        "redirect_uris": [DYNAMIC_REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "private_key_jwt",
        "contacts": ["certification@oidf.org"],
        **metadata,
    }
    if "jwks_uri" not in body and "jwks" not in body:
        body["jwks"] = public_jwks(key or ClientKey())
    return APIClient().post(endpoint.removeprefix("http://testserver"), body, format="json")


def registered_rp(api_client, key=None, **metadata) -> RelyingParty:
    """... + EnsureHttpStatusCodeIs201 + ExtractDynamicRegistrationResponse: a private_key_jwt
    client (no secret issued) holding ``key``."""
    key = key or ClientKey()
    response = register(api_client, key, **metadata)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["client_id"] and "client_secret" not in data
    assert data["token_endpoint_auth_method"] == "private_key_jwt"
    assert Client.objects.get(client_id=data["client_id"]).user is None  # anonymous
    redirect_uri = metadata.get("redirect_uris", [DYNAMIC_REDIRECT])[0]
    return RelyingParty(data["client_id"], None, redirect_uri, auth_method="private_key_jwt", key=key)
