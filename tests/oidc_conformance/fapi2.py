"""A client that does what the OpenID Foundation conformance suite's FAPI 2.0 Security Profile
(Final) OP tests do, in the variant private_key_jwt + DPoP + openid_connect + plain_fapi + unsigned
request + plain response (net.openid.conformance.fapi2spfinal.AbstractFAPI2SPFinalServerTestModule).

Each helper names the suite's conditions it re-creates (net.openid.conformance.condition.client.*):
the client is confidential, authenticates with private_key_jwt assertions whose ``aud`` is the
issuer (CreateClientAuthenticationAssertionClaimsWithIssAudience), pushes every authorization
request (BuildUnsignedPAREndpointRequest, PKCE S256), sends the browser with only ``client_id`` and
``request_uri`` (BuildRequestObjectByReferenceRedirectToAuthorizationEndpoint), and proves a DPoP
key at the token and resource endpoints, retrying once with the server's nonce
(CallTokenEndpointAllowingDpopNonceErrorAndReturnFullResponse,
CallProtectedResourceAllowingDpopNonceError). The resource is the API's beer list (the plan's
``resource.resourceUrl``) and userinfo.
"""

import base64
import hashlib
import html
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.jose import JsonWebKey, JsonWebToken

from oauthclients import services
from oauthclients.grants import AUTHORIZATION_CODE, FAPI2, REFRESH_TOKEN, TokenEndpointAuthMethod
from oauthclients.models import Client
from tests.support.client_keys import JWT_BEARER, ClientKey, public_jwks
from tests.support.dpop import make_proof, new_key
from tests.support.oauth import pkce_pair

SERVER = "http://testserver"
ISSUER = SERVER + "/api/oauth2"
DISCOVERY = "/api/oauth2/.well-known/openid-configuration"
AUTHORIZE = "/api/oauth2/authorize"
PAR = "/api/oauth2/par"
TOKEN = "/api/oauth2/token"  # noqa: S105 - a URL
USERINFO = "/api/oauth2/userinfo"
RESOURCE = "/api/beers"
PAR_URL, TOKEN_URL, RESOURCE_URL = SERVER + PAR, SERVER + TOKEN, SERVER + RESOURCE
REDIRECT_URI = "https://rp.example.com/fapi/callback"
# AbstractFAPI2SPFinalMultipleClient.performAuthorizationFlowWithSecondClient: AddRedirectUriQuerySuffix.
REDIRECT_URI_2 = "https://rp.example.com/fapi/callback?dummy1=lorem&dummy2=ipsum"
# The plan's client.scope: openid (openid_connect) and the resource's scope.
SCOPE = "openid profile email beers:read"
# FAPI2CheckDiscEndpointIdTokenSigningAlgValuesSupported.FAPI2_ALLOWED_ALGS
FAPI2_ALLOWED_ALGS = ("PS256", "ES256", "EdDSA", "Ed25519")


@dataclass
class FapiClient:
    """A static client of the plan (client / client2): its private_key_jwt key and its DPoP key
    (GenerateDpopKey: ``dpop_signing_alg``), and the nonces the servers last gave it."""

    client_id: str
    key: ClientKey
    dpop_alg: str = "ES256"
    redirect_uri: str = REDIRECT_URI
    dpop_key: Any = None
    as_nonce: str | None = None
    rs_nonce: str | None = None
    model: Any = None

    def __post_init__(self):
        self.dpop_key = self.dpop_key or new_key(self.dpop_alg)

    # --- client authentication -----------------------------------------------------------------

    def assertion_claims(self, **overrides) -> dict:
        """CreateClientAuthenticationAssertionClaimsWithIssAudience: iss=sub=client_id,
        aud=issuer, a jti, nbf=iat=now, exp a minute ahead (None drops a claim)."""
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": ISSUER,
            "jti": secrets.token_urlsafe(15),
            "nbf": now,
            "iat": now,
            "exp": now + 60,
            **overrides,
        }
        return {name: value for name, value in claims.items() if value is not None}

    def client_auth(self, key: ClientKey | None = None, header=None, **overrides) -> dict:
        """SignClientAuthenticationAssertion + AddClientAssertionToRequest."""
        signing_key = key or self.key
        return {
            "client_assertion_type": JWT_BEARER,
            "client_assertion": signing_key.sign(self.assertion_claims(**overrides), header=header),
        }

    # --- DPoP ------------------------------------------------------------------------------------

    def proof(self, htm, htu, *, token=None, key=None, nonce=None, **claims) -> str:
        """CreateDpopHeader + CreateDpopClaims + SetDpopHtmHtu... + (SetDpopAccessTokenHash) +
        SignDpopProof, with the server's last nonce (AddDpopNonce...)."""
        return make_proof(
            key or self.dpop_key, htm=htm, htu=htu, alg=self.dpop_alg, token=token, nonce=nonce, **claims
        )

    def jkt(self) -> str:
        return self.dpop_key.thumbprint()


def make_fapi_client(
    owner, *, alg="PS256", dpop_alg="ES256", redirect_uris=(REDIRECT_URI, REDIRECT_URI_2), **extra
):
    """The static client the plan is configured with: confidential, private_key_jwt with a
    ``alg`` key (client.jwks), its ID tokens signed with ``alg``, PAR required, DPoP-bound
    tokens, the FAPI 2.0 profile; two redirect URIs (the second with a query)."""
    key = ClientKey(alg=alg, kid=f"fapi-{secrets.token_hex(4)}")
    client, secret = services.client_create(
        owner=owner,
        client_name="FAPI2 conformance",
        redirect_uris=list(redirect_uris),
        grant_types=[AUTHORIZATION_CODE, REFRESH_TOKEN],
        token_endpoint_auth_method=TokenEndpointAuthMethod.PRIVATE_KEY_JWT,
        scope=SCOPE,
        jwks=public_jwks(key),
        dpop_bound_access_tokens=True,
        require_pushed_authorization_requests=True,
        profile=FAPI2,
        **extra,
    )
    assert secret is None
    Client.objects.filter(pk=client.pk).update(algorithm=alg)
    return FapiClient(client.client_id, key, dpop_alg=dpop_alg, redirect_uri=redirect_uris[0], model=client)


# --- Discovery and keys ----------------------------------------------------------------------------


def discovery(api_client) -> dict:
    """GetDynamicServerConfiguration + CheckServerConfiguration."""
    response = api_client.get(DISCOVERY)
    assert response.status_code == 200
    config = response.json()
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        assert config.get(name), name
    return config


def server_keys(api_client) -> dict:
    """FetchServerKeys + ValidateJwksSequence + CheckForKeyIdInServerJWKs +
    FAPI2FinalEnsureMinimumServerKeyLength (RSA ≥ 2048 bits, EC ≥ 256 bits)."""
    jwks = api_client.get("/api/oauth2/.well-known/jwks.json").json()
    assert jwks["keys"]
    for key in jwks["keys"]:
        assert key.get("kid") and "d" not in key
        if key["kty"] == "RSA":
            assert len(base64.urlsafe_b64decode(key["n"] + "==")) * 8 >= 2048
        elif key["kty"] == "EC":
            assert key["crv"] in ("P-256", "P-384", "P-521")
    return jwks


# --- PAR -----------------------------------------------------------------------------------------


@dataclass
class AuthRequest:
    """CreateAuthorizationEndpointRequestFromClientInformation + CreateRandomStateValue +
    CreateRandomNonceValue + SetupPkceAndAddToAuthorizationRequest."""

    client: FapiClient
    params: dict
    verifier: str | None = None
    request_uri: str | None = None
    expires_in: int | None = None
    response: Any = field(default=None, repr=False)

    @property
    def state(self):
        return self.params.get("state")

    @property
    def nonce(self):
        return self.params.get("nonce")


def auth_request(client: FapiClient, *, pkce=True, **params) -> AuthRequest:
    verifier, challenge = pkce_pair()
    request = {
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": SCOPE,
        "response_type": "code",
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        **({"code_challenge": challenge, "code_challenge_method": "S256"} if pkce else {}),
        **params,
    }
    request = {name: value for name, value in request.items() if value is not None}
    return AuthRequest(client, request, verifier if pkce else None)


def push(api_client, request: AuthRequest, *, auth=None, dpop=None, method="post", **headers):
    """BuildUnsignedPAREndpointRequest + client authentication + CallPAREndpoint (with a DPoP
    proof ``dpop`` when given; True: one of the client's DPoP key, retried with the server's
    nonce). Returns the response; a 201 sets ``request.request_uri``."""
    client = request.client
    for _attempt in range(2):
        data = {**request.params, **(client.client_auth() if auth is None else auth)}
        if dpop is True:
            headers["HTTP_DPOP"] = client.proof("POST", PAR_URL, nonce=client.as_nonce)
        elif dpop is not None:
            headers["HTTP_DPOP"] = dpop
        response = getattr(api_client, method)(PAR, data, **headers)
        if response.has_header("DPoP-Nonce"):
            client.as_nonce = response["DPoP-Nonce"]
        if not (
            response.status_code == 400 and response.json().get("error") == "use_dpop_nonce" and dpop is True
        ):
            break
    if response.status_code == 201:
        request.request_uri = response.json()["request_uri"]
        request.expires_in = response.json()["expires_in"]
    request.response = response
    return response


def check_par_response(response) -> dict:
    """CheckPAREndpointResponse201WithNoError + CheckForRequestUriValue +
    CheckForPARResponseExpiresIn + EnsureContentTypeJson + EnsureMinimumRequestUriEntropy."""
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert "error" not in body
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert isinstance(body["expires_in"], int) and 0 < body["expires_in"] <= 600
    assert len(body["request_uri"].rsplit(":", 1)[1]) >= 22  # ≥ 128 bits of entropy
    return body


def assert_par_error(response, *errors, statuses=(400, 401)):
    """A refused push as the PAR modules check it (EnsureHttpStatusCodeIs400or401 /
    EnsurePAR...Error): the status, JSON, the RFC 6749 error; they do not check its
    error_description (the token endpoint's modules do: check_error_description)."""
    assert response.status_code in statuses, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] in errors, body
    return body


def check_error_description(body: dict):
    """ValidateErrorFromTokenEndpointResponseError + CheckErrorDescription...ContainsCRLFTAB +
    ValidateErrorDescription...Error + ValidateErrorUri...: printable ASCII, no CR/LF/TAB."""
    assert re.fullmatch(r"[\x20-\x21\x23-\x5b\x5d-\x7e]+", body["error"])
    if "error_description" in body:
        assert re.fullmatch(r"[\x20-\x21\x23-\x5b\x5d-\x7e]*", body["error_description"]), body
    if "error_uri" in body:
        assert body["error_uri"].startswith(("http://", "https://"))


# --- The browser ---------------------------------------------------------------------------------


def redirect_url(request: AuthRequest, *, duplicates=True, **extra) -> str:
    """BuildRequestObjectByReferenceRedirectToAuthorizationEndpoint: request_uri with the
    parameters the suite always repeats beside it (response_type, client_id, scope, redirect_uri:
    its REQUIRED_DUPLICATES), and ``extra`` ones; ``duplicates=False`` is the
    ...WithoutDuplicates variant (client_id and request_uri only)."""
    params = {"client_id": request.client.client_id, "request_uri": request.request_uri}
    if duplicates:
        for name in ("response_type", "scope", "redirect_uri"):
            if name in request.params:
                params[name] = request.params[name]
    params |= extra
    return f"{AUTHORIZE}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def is_consent_page(response) -> bool:
    return response.status_code == 200 and b'id="authorizationForm"' in response.content


def answer_consent(browser, page, *, allow=True):
    """The user presses Allow (or Deny): the form posts where its action says."""
    form = {name: page.context["form"][name].value() or "" for name in page.context["form"].fields}
    form.pop("allow", None)
    if allow:
        form["allow"] = "Allow"
    action = html.unescape(
        re.search(r'<form id="authorizationForm"[^>]* action="([^"]*)"', page.content.decode())[1]
    )
    return browser.post(action, {name: value for name, value in form.items() if value != ""})


def visit(browser, url, *, allow=True):
    """performRedirect, and the user: consents (or refuses) if asked."""
    response = browser.get(url)
    if is_consent_page(response):
        response = answer_consent(browser, response, allow=allow)
    return response


def callback_params(response, redirect_uri) -> dict:
    """Where the browser was sent: the client's redirect URI (CheckMatchingCallbackParameters),
    the response in the query (RejectErrorInUrlFragment, RejectAuthCodeInUrlFragment), the
    client's own query parameters left as they were."""
    assert response.status_code in (302, 303), (response.status_code, response.content[:500])
    location = response["Location"]
    parts, own = urlsplit(location), urlsplit(redirect_uri)
    assert (parts.scheme, parts.netloc, parts.path) == (own.scheme, own.netloc, own.path), location
    assert not parts.fragment, location
    params = dict(parse_qsl(parts.query))
    for name, value in parse_qsl(own.query):
        assert params.pop(name) == value
    return params


def code_from(response, request: AuthRequest) -> str:
    """onAuthorizationCallbackResponse: CheckIfAuthorizationEndpointError +
    ValidateSuccessfulAuthCodeFlowResponseFromAuthorizationEndpoint + CheckStateInAuthorizationResponse
    + RequireIssInAuthorizationResponse + ExtractAuthorizationCodeFromAuthorizationResponse +
    EnsureMinimumAuthorizationCodeLength/Entropy."""
    params = callback_params(response, request.params["redirect_uri"])
    assert "error" not in params, params
    assert set(params) <= {"code", "state", "iss", "session_state"}, params
    assert params.get("state") == request.state
    assert params["iss"] == ISSUER
    assert len(params["code"]) >= 22
    return params["code"]


def authorization_error(response, request: AuthRequest, *errors) -> dict:
    """The user is sent back with an error (CheckStateInAuthorizationResponse,
    RequireIssInAuthorizationResponse, EnsureInvalidRequest...Error): no code."""
    params = callback_params(response, request.params["redirect_uri"])
    assert params.get("error") in errors, params
    assert "code" not in params
    assert params.get("state") == request.state
    assert params["iss"] == ISSUER
    return params


def is_error_page(response) -> bool:
    """The server showed the user an error page (the suite's 'placeholder' with a screenshot)
    and sent nothing to the client."""
    return response.status_code == 400 and not response.has_header("Location")


def authorize(browser, api_client, client: FapiClient, *, dpop=None, **params) -> tuple[AuthRequest, str]:
    """The front half of the flow: push, send the browser, consent; returns the request and code."""
    request = auth_request(client, **params)
    check_par_response(push(api_client, request, dpop=dpop))
    return request, code_from(visit(browser, redirect_url(request)), request)


# --- Token endpoint ------------------------------------------------------------------------------


def token_call(
    api_client, client: FapiClient, data: dict, *, auth=True, dpop=True, proof_key=None, **proof_claims
):
    """client authentication (unless ``auth`` is False, or the dict to send) + a DPoP proof
    (unless ``dpop`` is False) + CallTokenEndpointAllowingDpopNonceErrorAndReturnFullResponse:
    a use_dpop_nonce error is retried once with the nonce (and a fresh assertion)."""
    for _attempt in range(2):
        body = dict(data)
        if auth is True:
            body |= client.client_auth()
        elif auth:
            body |= auth
        headers = {}
        if dpop:
            headers["HTTP_DPOP"] = client.proof(
                "POST", TOKEN_URL, key=proof_key, nonce=client.as_nonce, **proof_claims
            )
        response = api_client.post(TOKEN, body, **headers)
        if response.has_header("DPoP-Nonce"):
            client.as_nonce = response["DPoP-Nonce"]
        if not (dpop and response.status_code == 400 and response.json().get("error") == "use_dpop_nonce"):
            return response
    return response


def code_grant(request: AuthRequest, code: str, **extra) -> dict:
    """CreateTokenEndpointRequestForAuthorizationCodeGrant + AddCodeVerifierToTokenEndpointRequest."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.params["redirect_uri"],
        "code_verifier": request.verifier,
        **extra,
    }
    return {name: value for name, value in data.items() if value is not None}


def check_tokens(response, client: FapiClient) -> dict:
    """processTokenEndpointResponse: CheckTokenEndpointHttpStatus200 + CheckForAccessTokenValue +
    ValidateExpiresIn + EnsureMinimumAccessTokenLength/Entropy + EnsureMinimumRefreshToken... and a
    DPoP-bound token (token_type DPoP)."""
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["access_token"] and len(tokens["access_token"]) >= 22
    assert tokens["token_type"].lower() == "dpop", tokens["token_type"]
    assert isinstance(tokens["expires_in"], int) and tokens["expires_in"] > 0
    if "refresh_token" in tokens:
        assert len(tokens["refresh_token"]) >= 22
    return tokens


def assert_token_error(response, *errors, statuses=(400, 401)) -> dict:
    """CheckTokenEndpointHttpStatus400(or401) + CheckTokenEndpointReturnedJsonContentType + the
    expected RFC 6749 error(s) + ValidateError...: nothing issued."""
    assert response.status_code in statuses, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] in errors, body
    assert "access_token" not in body
    check_error_description(body)
    return body


def _decode(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def validate_id_token(api_client, client: FapiClient, tokens: dict, *, nonce, check_nonce=True) -> dict:
    """ExtractIdTokenFromTokenResponse + PerformStandardIdTokenChecks (ValidateIdToken,
    ValidateIdTokenNonce, ValidateIdTokenSignature(UsingKid), CheckForSubjectInIdToken) +
    EnsureIdTokenContainsKid + FAPI2ValidateIdTokenSigningAlg (PS256/ES256/EdDSA) +
    ValidateAtHash/CHash/SHash when present; returns the claims."""
    id_token = tokens["id_token"]
    header = _decode(id_token.split(".")[0])
    assert header["alg"] in FAPI2_ALLOWED_ALGS, header
    assert header.get("kid"), header
    keys = JsonWebKey.import_key_set(server_keys(api_client))
    claims = JsonWebToken([header["alg"]]).decode(id_token, keys)
    now = time.time()
    assert claims["iss"] == ISSUER
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert client.client_id in aud
    assert claims["exp"] > now and claims["iat"] <= now + 5
    assert isinstance(claims["sub"], str) and claims["sub"]
    if not check_nonce:
        pass  # a refreshed ID token (OIDC Core §12.2 says nothing of nonce)
    elif nonce is None:
        assert "nonce" not in claims
    else:
        assert claims["nonce"] == nonce
    if "at_hash" in claims:
        digest = hashlib.sha256(tokens["access_token"].encode()).digest()
        assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert "s_hash" not in claims or claims["s_hash"]
    return dict(claims)


def exchange(api_client, request: AuthRequest, code: str, **kwargs) -> tuple[dict, dict]:
    """exchangeAuthorizationCode + processTokenEndpointResponse: (tokens, ID token claims)."""
    response = token_call(api_client, request.client, code_grant(request, code), **kwargs)
    tokens = check_tokens(response, request.client)
    claims = validate_id_token(api_client, request.client, tokens, nonce=request.nonce)
    return tokens, claims


# --- The resource ---------------------------------------------------------------------------------


def resource(
    api_client,
    client: FapiClient,
    access_token,
    *,
    url=RESOURCE_URL,
    scheme="DPoP",
    proof=True,
    key=None,
    headers=None,
    **proof_claims,
):
    """CreateEmptyResourceEndpointRequestHeaders + the DPoP steps (htm GET, htu the URL, ath) +
    CallProtectedResourceAllowingDpopNonceError (a use_dpop_nonce answer retried once)."""
    path = url.removeprefix(SERVER)
    htu = proof_claims.pop("htu", url.split("?")[0])
    for _attempt in range(2):
        request_headers = {"HTTP_AUTHORIZATION": f"{scheme} {access_token}", **(headers or {})}
        if proof:
            request_headers["HTTP_DPOP"] = client.proof(
                "GET",
                htu,
                token=access_token,
                key=key,
                nonce=client.rs_nonce,
                **proof_claims,
            )
        response = api_client.get(path, **request_headers)
        if response.has_header("DPoP-Nonce"):
            client.rs_nonce = response["DPoP-Nonce"]
        if not (response.status_code == 401 and "use_dpop_nonce" in response.get("WWW-Authenticate", "")):
            return response
    return response


def check_resource(response):
    """EnsureHttpStatusCodeIs200or201 (CheckForDateHeaderInResourceResponse is the HTTP server's:
    gunicorn adds Date to every response, Django's test client does not)."""
    assert response.status_code in (200, 201), (response.status_code, response.content[:300])
    return response


def full_flow(browser, api_client, client: FapiClient, **params):
    """performAuthorizationFlow to the end: PAR, browser, token, ID token, resource. Returns
    (request, tokens, ID token claims)."""
    request, code = authorize(browser, api_client, client, **params)
    tokens, claims = exchange(api_client, request, code)
    check_resource(resource(api_client, client, tokens["access_token"]))
    return request, tokens, claims
