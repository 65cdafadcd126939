"""A project's OAuthClientsAdapter subclass (``OAUTHCLIENTS["ADAPTER"]``): each hook is called where
the app needs it, the base class's defaults are safe, and the old settings keys are refused."""

import json

import jwt
import pytest
from django.dispatch import Signal
from django_otp.plugins.otp_totp.models import TOTPDevice
from oauthlib.oauth2.rfc6749.grant_types.base import GrantTypeBase

from accounts.models import UserSession
from accounts.services import EndedBy
from accounts.signals import session_ended
from oauthclients import services as client_services
from oauthclients.adapter import OAuthClientsAdapter
from oauthclients.apps import adapter_check
from oauthclients.models import LogoutDelivery, SessionClient
from oauthclients.oauth2.endpoints.token import TokenView
from oauthclients.oauth2.logout import backchannel
from oauthclients.oauth2.oidc import authn
from tests.factories import make_client
from tests.support.http import basic_auth_header, signed_in_with_password
from tests.support.oauth import authorize_url, query, user_tokens

pytestmark = pytest.mark.django_db
DISCOVERY = "/api/oauth2/.well-known/openid-configuration"
TOKEN = "/api/oauth2/token"
ECHO = "urn:example:params:oauth:grant-type:echo"
PROJECT_SID = "sid-the-project-chose"
BACKCHANNEL_URI = "https://rp.example.com/backchannel-logout"


class EchoGrant(GrantTypeBase):
    """A grant a project adds: authenticates the client, then answers with its id (no token)."""

    def create_token_response(self, request, token_handler):
        headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
        if not self.request_validator.authenticate_client(request):
            return headers, json.dumps({"error": "invalid_client"}), 401
        return headers, json.dumps({"echo": request.client.client_id}), 200


project_session_ended = Signal()


class ProjectAdapter(OAuthClientsAdapter):
    def session_id(self, request):
        return PROJECT_SID if request.user.is_authenticated else None

    def extra_grants(self):
        return {ECHO: EchoGrant}

    def session_ended_signal(self):
        return project_session_ended


@pytest.fixture
def adapter(settings):
    """``ProjectAdapter`` configured; the token endpoint's server is built again for it and
    forgotten afterwards (DOT caches one on the view class)."""
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ADAPTER": f"{__name__}.ProjectAdapter"}
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALWAYS_RELOAD_OAUTHLIB_CORE": True}
    yield
    if "_oauthlib_core" in TokenView.__dict__:
        del TokenView._oauthlib_core


@pytest.fixture
def base_adapter(settings):
    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "ADAPTER": "oauthclients.adapter.OAuthClientsAdapter"}
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALWAYS_RELOAD_OAUTHLIB_CORE": True}
    yield
    if "_oauthlib_core" in TokenView.__dict__:
        del TokenView._oauthlib_core


@pytest.fixture
def rp():
    return make_client(scope="openid profile", backchannel_logout_uri=BACKCHANNEL_URI)


# --- session_id(request) ------------------------------------------------------------------------


def test_the_adapters_session_id_is_the_id_tokens_sid_and_names_the_session(adapter, user, rp, api_client):
    client, secret = rp
    browser = signed_in_with_password(user)
    tokens = user_tokens(browser, api_client, client, secret, scope="openid profile", nonce="n-1")

    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["sid"] == PROJECT_SID
    assert list(SessionClient.objects.values_list("sid", "client_id")) == [(PROJECT_SID, client.pk)]


def test_the_default_session_id_is_no_session_key(base_adapter, user, rp, api_client):
    client, secret = rp
    browser = signed_in_with_password(user)
    tokens = user_tokens(browser, api_client, client, secret, scope="openid profile", nonce="n-1")

    sid = jwt.decode(tokens["id_token"], options={"verify_signature": False})["sid"]
    assert len(sid) == 32
    assert sid != browser.session.session_key
    assert sid not in browser.session.session_key
    assert SessionClient.objects.get().sid == sid


# --- extra_grants() -----------------------------------------------------------------------------


def echo(api_client, client, secret):
    return api_client.post(
        TOKEN, {"grant_type": ECHO}, HTTP_AUTHORIZATION=basic_auth_header(client.client_id, secret)
    )


def test_an_extra_grant_answers_at_the_token_endpoint_and_is_in_discovery(adapter, api_client, application):
    answer = echo(api_client, application, application.raw_secret)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"echo": application.client_id}

    wrong = echo(api_client, application, "not-the-secret")
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid_client"}

    for document in (DISCOVERY, "/api/oauth2/.well-known/oauth-authorization-server"):
        assert ECHO in api_client.get(document).json()["grant_types_supported"], document


def test_without_the_extra_grant_the_token_endpoint_refuses_it_and_discovery_omits_it(
    base_adapter, api_client, application
):
    answer = echo(api_client, application, application.raw_secret)
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"
    grants = api_client.get(DISCOVERY).json()["grant_types_supported"]
    assert ECHO not in grants
    assert "urn:ietf:params:oauth:grant-type:token-exchange" not in grants


# --- session_ended_signal() ---------------------------------------------------------------------


@pytest.fixture
def connected(adapter):
    """oauthclients connected to the adapter's signal, as it is at start-up."""
    backchannel.connect_session_ended()
    yield
    project_session_ended.disconnect(dispatch_uid="oauthclients.backchannel_logout")


class Ended:
    def __init__(self, user_id, public_id):
        self.user_id, self.public_id = user_id, public_id


def test_the_adapters_signal_queues_logout_tokens_and_discovery_says_so(connected, user, rp, api_client):
    client, secret = rp
    browser = signed_in_with_password(user)
    user_tokens(browser, api_client, client, secret, scope="openid profile", nonce="n-1")

    project_session_ended.send(sender=None, session=Ended(user.pk, PROJECT_SID), reason="project's own")

    delivery = LogoutDelivery.objects.get()
    assert (delivery.client, delivery.sid, delivery.sub) == (client, PROJECT_SID, str(user.pk))
    assert not SessionClient.objects.exists()
    data = api_client.get(DISCOVERY).json()
    assert data["backchannel_logout_supported"] is True
    assert data["backchannel_logout_session_supported"] is True


def test_the_receiver_refuses_the_old_keyword_shape(connected, user, rp, api_client):
    client, secret = rp
    browser = signed_in_with_password(user)
    user_tokens(browser, api_client, client, secret, scope="openid profile", nonce="n-1")

    with pytest.raises(TypeError, match="session"):
        project_session_ended.send(sender=None, user=user, session_public_id=PROJECT_SID)

    assert not LogoutDelivery.objects.exists()
    assert SessionClient.objects.filter(sid=PROJECT_SID).exists()


def test_accounts_session_ended_refuses_any_other_shape(signed_in, user):
    session = UserSession.objects.get(user=user)
    for shape in (
        {"user": user, "session_public_id": session.public_id},  # the old "plain" shape
        {"session": session, "by": EndedBy.USER},  # a keyword missing
        {"session": session, "by": EndedBy.USER, "actor": None, "extra": 1},
    ):
        with pytest.raises(TypeError, match=r"exactly \['actor', 'by', 'session'\]"):
            session_ended.send(sender=UserSession, **shape)
    assert not LogoutDelivery.objects.exists()


# --- configuration ------------------------------------------------------------------------------


def test_the_replaced_settings_keys_and_a_bad_adapter_are_reported(settings):
    assert adapter_check(None) == []

    settings.OAUTHCLIENTS = {**settings.OAUTHCLIENTS, "EXTRA_GRANTS": {}, "SESSION_ENDED_SIGNAL": None}
    errors = adapter_check(None)
    assert [(error.id, error.msg) for error in errors] == [
        ("oauthclients.W002", 'OAUTHCLIENTS["EXTRA_GRANTS"] is no longer read.'),
        ("oauthclients.W002", 'OAUTHCLIENTS["SESSION_ENDED_SIGNAL"] is no longer read.'),
    ]
    assert "extra_grants()" in errors[0].hint

    for path in ("nowhere.Adapter", f"{__name__}.EchoGrant"):
        settings.OAUTHCLIENTS = {"ADAPTER": path}
        assert [error.id for error in adapter_check(None)] == ["oauthclients.E002"], path


def test_the_base_adapter_knows_no_second_factors_so_acr_above_one_factor_is_out_of_reach(base_adapter, user):
    """A project without step-up hooks: a voluntary acr_values goes on at the password level, an
    essential one and a client's minimum_acr are unmet (the page without a set-up link)."""
    browser = signed_in_with_password(user)
    # Even with a factor: the project has not told the app about it.
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    client, _secret = make_client(scope="openid beers:read")

    voluntary = browser.get(authorize_url(client, scope="openid", acr_values=authn.ACR_MFA))
    essential = browser.get(
        authorize_url(
            client,
            scope="openid",
            claims=json.dumps({"id_token": {"acr": {"essential": True, "value": authn.ACR_MFA}}}),
        )
    )
    client_services.client_update(client=client, minimum_acr=authn.ACR_MFA)
    required = browser.get(authorize_url(client, scope="openid"))

    assert voluntary.status_code == 200  # the consent dialog
    assert query(essential["Location"])["error"] == "unmet_authentication_requirements"
    assert required.status_code == 403 and required.context["setup_url"] is None
    assert "Set up a second factor" not in required.content.decode()
