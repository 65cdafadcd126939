"""Step-up for applications: ``acr_values``, a client's ``default_acr_values`` and ``minimum_acr``,
and the claims parameter's essential ``acr`` at the authorization endpoint
(oauthclients.oauth2.endpoints.authorize, oauthclients.oauth2.oidc.authn), answered by accounts'
step-up page (accounts.pages.StepUpView) without the password again."""

import json
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse
from jwcrypto import jwk, jwt

from oauthclients import services as client_services
from oauthclients.oauth2.oidc import authn
from tests.factories import PASSWORD, make_client
from tests.support.http import client_auth_header, signed_in_as, signed_in_with_password
from tests.support.oauth import AUTHORIZE, authorize_url, exchange_code, query
from tests.support.otp import add_authenticator, code
from tests.support.webauthn import SoftAuthenticator

pytestmark = pytest.mark.django_db

STEP_UP = reverse("accounts:step-up")
AUTH_BEGIN = reverse("otp_webauthn:credential-authentication-begin")
AUTH_COMPLETE = reverse("otp_webauthn:credential-authentication-complete")
REGISTER_BEGIN = reverse("otp_webauthn:credential-registration-begin")
REGISTER_COMPLETE = reverse("otp_webauthn:credential-registration-complete")
ISSUER = "http://testserver/api/oauth2"


@pytest.fixture(autouse=True)
def _no_device_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def oidc_client():
    """A confidential OpenID Connect client and its secret."""
    return make_client(scope="openid beers:read")


@pytest.fixture
def with_app(user):
    """``user`` added an authenticator app after signing in with the password alone: the browser's
    session is still at the password level. (key, browser)."""
    browser = signed_in_with_password(user)
    key, _codes = add_authenticator(browser)
    assert browser.session[authn.SESSION_ACR] == authn.ACR_PASSWORD
    return key, browser


def post_json(browser, url, body=None):
    return browser.post(url, body or {}, content_type="application/json")


def add_passkey(browser):
    authenticator = SoftAuthenticator()
    options = post_json(browser, REGISTER_BEGIN).json()
    response = post_json(browser, REGISTER_COMPLETE, authenticator.create(options))
    assert response.status_code == 200, response.content
    return authenticator


def id_token_claims(api_client, id_token):
    keys = jwk.JWKSet.from_json(api_client.get("/api/oauth2/.well-known/jwks.json").content)
    return json.loads(jwt.JWT(jwt=id_token, key=keys, algs=["RS256"]).claims)


def finish(browser, api_client, client, secret, url):
    """Follow the authorization request at ``url`` through consent to the ID token's claims."""
    page = browser.get(url)
    assert page.status_code == 200, (page.status_code, page.get("Location"))
    form = {field: page.context["form"][field].value() or "" for field in page.context["form"].fields}
    form["allow"] = "Allow"
    response = browser.post(AUTHORIZE, {k: v for k, v in form.items() if v != ""})
    assert response.status_code == 302, response.content
    tokens = exchange_code(api_client, client, secret, query(response["Location"])["code"])
    assert tokens.status_code == 200, tokens.content
    return id_token_claims(api_client, tokens.json()["id_token"])


def step_up_location(response):
    assert response.status_code == 302, response.content
    parts = urlsplit(response["Location"])
    assert parts.path == STEP_UP
    return response["Location"], {key: values[0] for key, values in parse_qs(parts.query).items()}


# --- acr_values: mfa ---------------------------------------------------------------------------


def test_acr_values_mfa_asks_a_password_session_for_the_code_then_the_id_token_says_mfa(
    user, with_app, oidc_client, api_client
):
    key, browser = with_app
    client, secret = oidc_client
    url = authorize_url(client, scope="openid", acr_values=authn.ACR_MFA)

    location, params = step_up_location(browser.get(url))
    assert params == {"acr": authn.ACR_MFA, "next": url}
    page = browser.get(location)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert 'name="token"' in page.content.decode()  # the code form, no password field
    assert 'name="password"' not in page.content.decode()

    confirmed = browser.post(location, {"token": code(key, 1)})

    assert confirmed.status_code == 302 and confirmed["Location"] == url
    claims = finish(browser, api_client, client, secret, url)
    assert claims["acr"] == authn.ACR_MFA
    assert {"pwd", "otp", "mfa"} <= set(claims["amr"])


def test_a_wrong_code_on_the_step_up_page_leaves_the_level_and_is_said(with_app, oidc_client):
    _key, browser = with_app
    client, _secret = oidc_client
    location, _params = step_up_location(
        browser.get(authorize_url(client, scope="openid", acr_values=authn.ACR_MFA))
    )

    page = browser.post(location, {"token": "000000"})

    assert page.status_code == 200
    assert "That code is not right" in page.content.decode()
    assert browser.session[authn.SESSION_ACR] == authn.ACR_PASSWORD


def test_a_session_at_the_level_already_is_not_asked_again(with_app, oidc_client):
    key, browser = with_app
    client, _secret = oidc_client
    url = authorize_url(client, scope="openid", acr_values=authn.ACR_MFA)
    location, _params = step_up_location(browser.get(url))
    browser.post(location, {"token": code(key, 1)})

    again = browser.get(authorize_url(client, scope="openid", acr_values=authn.ACR_MFA, state="second"))

    assert again.status_code == 200  # the consent dialog, no step-up
    # The step-up page opened again (the back button) goes straight on.
    assert browser.get(location)["Location"] == url


def test_a_recovery_code_steps_up_too(user, oidc_client):
    browser = signed_in_with_password(user)
    _key, codes = add_authenticator(browser)
    client, _secret = oidc_client
    location, _params = step_up_location(
        browser.get(authorize_url(client, scope="openid", acr_values=authn.ACR_MFA))
    )

    assert browser.post(location, {"token": codes[0]}).status_code == 302

    assert browser.session[authn.SESSION_ACR] == authn.ACR_MFA
    assert "otp" in browser.session[authn.SESSION_AMR]


# --- acr_values: phishing-resistant -------------------------------------------------------------


def test_phr_offers_only_the_passkey_and_refuses_a_code(user, with_app, oidc_client):
    key, browser = with_app
    add_passkey(browser)
    client, _secret = oidc_client

    location, params = step_up_location(
        browser.get(authorize_url(client, scope="openid", acr_values=authn.ACR_PHR))
    )
    assert params["acr"] == authn.ACR_PHR
    html = browser.get(location).content.decode()

    assert "passkey-verification-placeholder" in html
    assert 'name="token"' not in html
    refused = browser.post(location, {"token": code(key, 1)})
    assert refused.status_code == 200
    assert "This application asks for a passkey: a code is not enough." in refused.content.decode()
    assert browser.session[authn.SESSION_ACR] == authn.ACR_PASSWORD


def test_phr_is_reached_with_the_passkey_and_the_id_token_says_so(user, oidc_client, api_client):
    browser = signed_in_with_password(user)
    authenticator = add_passkey(browser)
    client, secret = oidc_client
    url = authorize_url(client, scope="openid", acr_values=authn.ACR_PHR)
    step_up_location(browser.get(url))

    options = post_json(browser, AUTH_BEGIN).json()
    # The signed-in user's own passkeys are asked for.
    assert [c["id"] for c in options["allowCredentials"]] == [authenticator.get(options)["id"]]
    done = post_json(browser, f"{AUTH_COMPLETE}?{urlencode({'next': url})}", authenticator.get(options))
    assert done.status_code == 200, done.content
    assert done.json()["redirect_url"] == url

    claims = finish(browser, api_client, client, secret, url)
    assert claims["acr"] == authn.ACR_PHR
    assert "user" in claims["amr"] and {"hwk", "swk"} & set(claims["amr"]) and "mfa" in claims["amr"]


def test_phr_prefers_the_passkey_and_falls_back_to_mfa_when_listed(user, with_app, oidc_client):
    # Without a passkey, "phr mfa" asks for the code: mfa is the next level the user can reach.
    _key, browser = with_app
    client, _secret = oidc_client
    _location, params = step_up_location(
        browser.get(authorize_url(client, scope="openid", acr_values=f"{authn.ACR_PHR} {authn.ACR_MFA}"))
    )
    assert params["acr"] == authn.ACR_MFA


# --- default_acr_values, voluntary and essential requests ---------------------------------------


def test_the_clients_default_acr_values_apply_when_the_request_names_none(with_app, oidc_client):
    _key, browser = with_app
    client, _secret = oidc_client
    client_services.client_update(client=client, default_acr_values=[authn.ACR_MFA])

    _location, params = step_up_location(browser.get(authorize_url(client, scope="openid")))
    assert params["acr"] == authn.ACR_MFA
    # A request's own acr_values win over the default.
    page = browser.get(authorize_url(client, scope="openid", acr_values=authn.ACR_PASSWORD))
    assert page.status_code == 200


def test_a_user_without_factors_and_voluntary_acr_values_goes_on_at_the_password_level(
    user, oidc_client, api_client
):
    browser = signed_in_with_password(user)
    client, secret = oidc_client
    url = authorize_url(client, scope="openid", acr_values=authn.ACR_PHR)

    claims = finish(browser, api_client, client, secret, url)

    assert claims["acr"] == authn.ACR_PASSWORD
    assert claims["amr"] == ["pwd"]


def essential_acr(*values):
    return json.dumps({"id_token": {"acr": {"essential": True, "values": list(values)}}})


def test_an_essential_acr_out_of_reach_is_unmet_authentication_requirements_at_the_redirect_uri(
    user, oidc_client
):
    browser = signed_in_with_password(user)
    client, _secret = oidc_client

    response = browser.get(authorize_url(client, scope="openid", claims=essential_acr(authn.ACR_MFA)))

    assert response.status_code == 302
    assert response["Location"].startswith(client.redirect_uris.split()[0])
    answer = query(response["Location"])
    assert answer["error"] == "unmet_authentication_requirements"
    assert answer["state"] == "xyz-state" and answer["iss"] == ISSUER
    assert "code" not in answer


def test_an_essential_acr_within_reach_is_asked_for(with_app, oidc_client, api_client):
    key, browser = with_app
    client, secret = oidc_client
    url = authorize_url(client, scope="openid", claims=essential_acr(authn.ACR_MFA))
    location, params = step_up_location(browser.get(url))
    assert params["acr"] == authn.ACR_MFA

    browser.post(location, {"token": code(key, 1)})

    assert finish(browser, api_client, client, secret, url)["acr"] == authn.ACR_MFA


def test_an_essential_acr_of_another_server_is_unmet(user, oidc_client):
    browser = signed_in_as(user)
    client, _secret = oidc_client
    response = browser.get(authorize_url(client, scope="openid", claims=essential_acr("urn:other:gold")))
    assert query(response["Location"])["error"] == "unmet_authentication_requirements"


def test_prompt_none_with_a_level_to_step_up_to_is_interaction_required(with_app, oidc_client):
    _key, browser = with_app
    client, _secret = oidc_client
    url = authorize_url(client, scope="openid", prompt="none", claims=essential_acr(authn.ACR_MFA))

    answer = query(browser.get(url)["Location"])

    assert answer["error"] == "interaction_required" and answer["state"] == "xyz-state"


def test_max_age_still_signs_in_again_with_acr_values(user, with_app, oidc_client, api_client):
    key, browser = with_app
    client, secret = oidc_client
    session = browser.session
    session[authn.SESSION_AUTH_TIME] -= 600
    session.save()
    url = authorize_url(client, scope="openid", acr_values=authn.ACR_MFA, max_age="60")

    response = browser.get(url)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # Signing in again takes the password and the app's code: mfa, so no step-up after it.
    browser.post(response["Location"], {"username": user.username, "password": PASSWORD})
    done = browser.post(reverse("accounts:sign-in-verify"), {"token": code(key, 1)})
    assert done["Location"] == url
    claims = finish(browser, api_client, client, secret, url)
    assert claims["acr"] == authn.ACR_MFA and claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["auth_time"] >= time.time() - 60


# --- A client that requires a second factor (minimum_acr) ---------------------------------------


def test_a_client_requiring_a_second_factor_asks_users_who_have_one(with_app, oidc_client, api_client):
    key, browser = with_app
    client, secret = oidc_client
    client_services.client_update(client=client, minimum_acr=authn.ACR_MFA)
    # Even a request asking only for a password gets the client's minimum.
    url = authorize_url(client, scope="openid", acr_values=authn.ACR_PASSWORD)
    location, params = step_up_location(browser.get(url))
    assert params["acr"] == authn.ACR_MFA

    browser.post(location, {"token": code(key, 1)})

    assert finish(browser, api_client, client, secret, url)["acr"] == authn.ACR_MFA


def test_a_client_requiring_a_second_factor_tells_a_user_without_one_how_to_set_it_up(user, oidc_client):
    browser = signed_in_with_password(user)
    client, _secret = oidc_client
    client_services.client_update(client=client, minimum_acr=authn.ACR_MFA)

    page = browser.get(authorize_url(client, scope="openid"))

    assert page.status_code == 403
    html = page.content.decode()
    assert "A second factor is required" in html and client.name in html
    assert '<a class="button" href="/account/security/">Set up a second factor</a>' in html
    # Going back tells the client why, with its state and our issuer.
    back = page.context["back_url"]
    answer = query(back)
    assert back.startswith(client.redirect_uris.split()[0])
    assert answer["error"] == "unmet_authentication_requirements" and answer["state"] == "xyz-state"
    assert answer["iss"] == ISSUER


def test_a_client_requiring_a_second_factor_under_prompt_none_hears_unmet(user, oidc_client):
    browser = signed_in_with_password(user)
    client, _secret = oidc_client
    client_services.client_update(client=client, minimum_acr=authn.ACR_MFA)

    response = browser.get(authorize_url(client, scope="openid", prompt="none"))

    assert query(response["Location"])["error"] == "unmet_authentication_requirements"


def test_a_consent_form_answered_below_the_clients_minimum_issues_no_code(user, with_app, oidc_client):
    _key, browser = with_app
    client, _secret = oidc_client
    # The dialog, shown before the client required a second factor ...
    page = browser.get(authorize_url(client, scope="openid"))
    form = {field: page.context["form"][field].value() or "" for field in page.context["form"].fields}
    client_services.client_update(client=client, minimum_acr=authn.ACR_MFA)
    form["allow"] = "Allow"

    response = browser.post(AUTHORIZE, {k: v for k, v in form.items() if v != ""})

    answer = query(response["Location"])
    assert answer["error"] == "unmet_authentication_requirements" and "code" not in answer


def test_minimum_acr_and_default_acr_values_are_registered_metadata(oidc_client):
    client, _secret = oidc_client
    client_services.client_update(
        client=client, minimum_acr=authn.ACR_PHR, default_acr_values=[authn.ACR_MFA, authn.ACR_PHR]
    )
    client.refresh_from_db()
    assert client.metadata()["minimum_acr"] == authn.ACR_PHR
    assert client.metadata()["default_acr_values"] == [authn.ACR_MFA, authn.ACR_PHR]


@pytest.mark.parametrize(
    ("fields", "member"),
    [
        ({"minimum_acr": authn.ACR_PASSWORD}, "minimum_acr"),
        ({"minimum_acr": "urn:other"}, "minimum_acr"),
        ({"default_acr_values": ["urn:other"]}, "default_acr_values"),
        ({"default_acr_values": "urn:beerlocker:acr:mfa"}, "default_acr_values"),
    ],
)
def test_unknown_levels_are_refused_at_registration(oidc_client, fields, member):
    from django.core.exceptions import ValidationError

    client, _secret = oidc_client
    with pytest.raises(ValidationError) as error:
        client_services.client_update(client=client, **fields)
    assert member in error.value.message_dict
    client.refresh_from_db()
    assert client.minimum_acr == "" and client.default_acr_values == ""


# --- The step-up page itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/path", "javascript:alert(1)", "/\\evil.example"]
)
def test_the_step_up_page_never_sends_the_browser_to_another_site(with_app, next_url):
    key, browser = with_app
    response = browser.post(f"{STEP_UP}?acr={authn.ACR_MFA}&next={next_url}", {"token": code(key, 1)})

    assert response.status_code == 302 and response["Location"] == "/"
    assert browser.session[authn.SESSION_ACR] == authn.ACR_MFA


def test_the_step_up_page_needs_a_signed_in_user():
    response = BrowserClient().get(f"{STEP_UP}?acr={authn.ACR_MFA}&next=/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_wrong_codes_on_the_step_up_page_fall_under_the_password_guessing_limits(user, with_app, settings):
    key, browser = with_app
    settings.AXES_FAILURE_LIMIT = 3
    url = f"{STEP_UP}?acr={authn.ACR_MFA}&next=/"
    statuses = [browser.post(url, {"token": "123456"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]

    locked = browser.post(url, {"token": code(key, 1)})

    assert locked.status_code == 429 and "Retry-After" in locked
    assert browser.session[authn.SESSION_ACR] == authn.ACR_PASSWORD
    # The same counters as the sign-in: this browser's password step is locked out too.
    again = browser.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert again.status_code == 429


def test_a_user_without_factors_on_the_step_up_page_is_sent_to_set_one_up(user):
    page = signed_in_with_password(user).get(f"{STEP_UP}?acr={authn.ACR_MFA}&next=/")
    html = page.content.decode()
    assert page.status_code == 200 and 'name="token"' not in html
    assert '<a class="button" href="/account/security/">Account security</a>' in html


def test_the_second_factor_required_page_under_form_post_offers_no_back_link(user, oidc_client):
    # form_post answers with a page that posts itself: not something a link can carry.
    browser = signed_in_with_password(user)
    client, _secret = oidc_client
    client_services.client_update(client=client, minimum_acr=authn.ACR_PHR)

    page = browser.get(authorize_url(client, scope="openid", response_mode="form_post"))

    assert page.status_code == 403 and page.context["back_url"] == ""
    assert "Back to" not in page.content.decode()


def test_a_pushed_request_comes_back_from_the_step_up_pushed_again(with_app, api_client, user):
    """RFC 9126: the step-up page's next names a fresh request_uri, never the pushed parameters."""
    key, browser = with_app
    client, secret = make_client(scope="openid beers:read")
    pushed = api_client.post(
        "/api/oauth2/par",
        {
            "response_type": "code",
            "redirect_uri": client.redirect_uris.split()[0],
            "scope": "openid",
            "state": "par-state",
            "nonce": "n-par",
            "acr_values": authn.ACR_MFA,
        },
        HTTP_AUTHORIZATION=client_auth_header(client, secret),
    )
    assert pushed.status_code == 201, pushed.content
    request_uri = pushed.json()["request_uri"]
    url = f"{AUTHORIZE}?{urlencode({'client_id': client.client_id, 'request_uri': request_uri})}"

    location, params = step_up_location(browser.get(url))

    back = params["next"]
    assert set(parse_qs(urlsplit(back).query)) == {"client_id", "request_uri"}
    assert "n-par" not in back and request_uri not in back
    assert browser.post(location, {"token": code(key, 1)})["Location"] == back
    claims = finish(browser, api_client, client, secret, back)
    assert claims["acr"] == authn.ACR_MFA and claims["nonce"] == "n-par"
