"""The authorization endpoint: the consent dialog, on DOT's ``AuthorizationView``."""

import json
import uuid
from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from jwcrypto import jwt
from jwcrypto.common import JWException
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.models import get_application_model, get_id_token_model
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from oauthclients import scopes, signals
from oauthclients.adapter import get_adapter
from oauthclients.keys import verification_key_set
from oauthclients.models import Client
from oauthclients.oauth2.compat import add_iss_to_redirect
from oauthclients.oauth2.endpoints import authorization_requests, par
from oauthclients.oauth2.oidc import authn, request_objects, response_modes
from oauthclients.oauth2.tokens import audience, dpop


# CSRF is checked in dispatch: only a POST that passes it answers the consent dialog; any other
# POST is an authorization request, as harmless cross-site as the same request by GET.
@method_decorator(csrf_exempt, name="dispatch")
class AuthorizationView(dot_views.AuthorizationView):
    """The consent dialog: who asks, for what, and where the answer goes; never framed or referred."""

    template_name = "oauthclients/authorize.html"
    # The client this request names, as read once (with its owner) by validating the request or,
    # for the consent form's answer, by form_valid; oauthlib gets it with the credentials instead
    # of reading it again. One request's: a view instance serves one request.
    client = None
    # Whether validating the request also checks the session's level (acr) against what the
    # request and the client ask for: not while sending the user to sign in again anyway.
    check_level = True

    def get(self, request, *args, **kwargs):
        prompt = request.GET.get("prompt", "").split()
        if "none" not in prompt and authn.reauthentication_due(request, request.GET):
            return self.reauthenticate(request)
        if "consent" in prompt:
            # OIDC prompt=consent: ask again even if these scopes were granted before.
            request.GET = request.GET.copy()
            request.GET["approval_prompt"] = "force"
        try:
            response = super().get(request, *args, **kwargs)
        except LevelNotReached as interruption:
            return interruption.response
        if "none" in prompt and response.status_code == 200 and getattr(self, "oauth2_data", None):
            # OIDC Core §3.1.2.1: prompt=none never shows a page; the dialog was about to be shown
            # because these scopes were not granted before, so the client hears consent_required.
            return self.consent_required()
        return response

    def validate_authorization_request(self, request):
        scopes, credentials = super().validate_authorization_request(request)
        self.client = getattr(credentials.get("request"), "client", None)  # oauthlib's request
        hint = request.GET.get("id_token_hint")
        if hint and request.user.is_authenticated and not id_token_names(hint, request.user):
            # OIDC Core §3.1.2.1: the client asked for the user its ID token names; someone else
            # (or no one we can verify) is signed in here, so no code is issued for them.
            error = errors.LoginRequired(
                state=credentials.get("state"),
                description="The signed-in user is not the one id_token_hint names.",
            )
            raise OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])
        authorization_requests.require_redirect_uri(request.GET, scopes)
        par.refuse_unless_pushed(request, self.client, credentials)
        refuse_unknown_resources(request, request.GET.getlist("resource"), credentials)
        if problem := dpop.authorization_request_problem(request.GET.get("dpop_jkt")):
            error = errors.InvalidRequestError(state=credentials.get("state"), description=problem)
            raise OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])
        if not request_objects.enabled():
            authorization_requests.refuse_request_objects(request.GET, credentials)
        elif error := request_objects.error_for(request, credentials):
            raise error
        prompt = request.GET.get("prompt", "").split()
        if "none" in prompt and authn.reauthentication_due(request, request.GET):
            # OIDC Core §3.1.2.1: max_age has passed and prompt=none forbids asking to sign in.
            error = errors.LoginRequired(
                state=credentials.get("state"), description="max_age has passed since the user signed in."
            )
            raise OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])
        if self.check_level and request.user.is_authenticated and "login" not in prompt:
            self.require_level(request, credentials, prompt)
        return scopes, credentials

    def require_level(self, request, credentials, prompt):
        """The session's sign-in must reach what the request (``acr_values``, the claims
        parameter's ``id_token.acr``, else the client's ``default_acr_values``) prefers and can
        get, and the client's ``minimum_acr``: the user confirms a second factor on the project's
        step-up page (``LevelNotReached``), without typing their password again. A level out of
        the user's reach is an error for the client when it was essential (or the client's
        minimum, under prompt=none); a voluntary one is dropped, and the ID token says the level
        the user has (OIDC Core §3.1.2.1)."""
        adapter = get_adapter()
        _auth_time, achieved = authn.session_authentication(request)

        def decide(reachable):
            return authn.step_up_decision(
                achieved=achieved,
                wanted=authn.requested_acr(request.GET, self.client),
                minimum=getattr(self.client, "minimum_acr", "") or "",
                reachable=reachable,
            )

        decision = decide(lambda: adapter.second_factor_levels(request.user))
        if decision.acr is not None:
            if "none" in prompt:
                # OIDC Core §3.1.2.6: asking for the second factor is interaction prompt=none forbids.
                error = errors.CustomOAuth2Error(
                    error="interaction_required",
                    description="The request needs a second factor the user has not confirmed.",
                    state=credentials.get("state"),
                )
                raise OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])
            url = adapter.step_up_url(request, acr=decision.acr, next_url=self.way_back())
            if url:
                raise LevelNotReached(HttpResponseRedirect(url))
            decision = decide(list)  # the project offers no step-up page: nothing is reachable
        if decision.unmet is None:
            return
        error = unmet_authentication_requirements(
            credentials, client_minimum=decision.unmet == authn.UNMET_MINIMUM
        )
        if decision.unmet == authn.UNMET_MINIMUM and "none" not in prompt:
            # The user can fix this (add a second factor): tell them how, and let them tell the
            # client they could not, rather than sending them back empty-handed without a word.
            raise LevelNotReached(self.second_factor_required_page(request, error, adapter))
        raise error

    def way_back(self) -> str:
        """This authorization request's URL, to come back to after a page of the project's: a pushed
        request (RFC 9126) is pushed again server-side, as for a sign-in (``sign_in_redirect``)."""
        if self.client is not None and par.came_pushed(self.request):
            return par.pushed_again(self.request, self.client)
        return self.request.get_full_path()

    def second_factor_required_page(self, request, error, adapter):
        """The page telling a user without a second factor that this client requires one."""
        back = self.error_response(error, application=self.client)
        context = {
            "application": self.client,
            "setup_url": adapter.second_factor_setup_url(request),
            # The client hears unmet_authentication_requirements when the user goes back.
            "back_url": back["Location"] if back.has_header("Location") else "",
        }
        response = render(request, "oauthclients/second_factor_required.html", context, status=403)
        response["Cache-Control"] = "no-store"
        return response

    def reauthenticate(self, request):
        """max_age has passed since the user signed in: sign in again, then back to this request."""
        self.check_level = False  # the sign-in asks for what it asks; the level is checked after
        try:
            self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        authn.reauthentication_requested(request)
        return self.sign_in_redirect()

    def sign_in_redirect(self, *, prompt_done: str | None = None):
        """To the sign-in page, then back to this authorization request. A pushed one (RFC 9126)
        is pushed again server-side for the way back (``par.pushed_again``): its request_uri was
        spent, and its parameters are not to travel in a URL."""
        request = self.request
        client = self.client
        if client is None or client.client_id != request.GET.get("client_id"):
            client = Client.objects.filter(client_id=request.GET.get("client_id") or "").first()
        if client is not None and par.came_pushed(request):
            back = par.pushed_again(request, client, prompt_done=prompt_done)
        else:
            back = request.get_full_path()
        return redirect_to_login(back, resolve_url(self.get_login_url()), self.get_redirect_field_name())

    def handle_prompt_login(self):
        # OIDC prompt=login: DOT sends the browser to sign in with the prompt left out of the way
        # back; a pushed request comes back pushed again (sign_in_redirect).
        if par.came_pushed(self.request):
            return self.sign_in_redirect(prompt_done="login")
        return super().handle_prompt_login()

    def create_authorization_response(self, request, scopes, credentials, allow):
        # When and how the user signed in, for the ID token (auth_time, acr).
        credentials = {**credentials, **authn.authorization_credentials(request)}
        # RFC 9449 §10: the code is bound to this key (checked in validate_authorization_request).
        credentials["dpop_jkt"] = request.GET.get("dpop_jkt") or None
        if self.client is not None and self.client.client_id == credentials.get("client_id"):
            # Set on oauthlib's request, where validate_client_id (load_client) reuses it.
            credentials["client"] = self.client
        result = super().create_authorization_response(request, scopes, credentials, allow)
        if allow and request.method == "POST":
            # Allow pressed on the consent page (answers given on GET are remembered consent or a
            # first-party client): announced only once the code or token was issued.
            client = credentials.get("client") or Client.objects.get(client_id=credentials["client_id"])
            signals.consent_given.send(
                sender=Client, client=client, user=request.user, scopes=scopes.split() if scopes else []
            )
        return result

    def redirect(self, redirect_to, application):
        # RFC 9207 §2: every authorization response names the issuer, errors included. DOT adds
        # ``iss`` to successful responses only, yet discovery (authorization_response_iss_
        # parameter_supported) tells clients to reject any response without it. Idempotent.
        if oauth2_settings.COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS:
            issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
            redirect_to = add_iss_to_redirect(redirect_to, issuer)
        if application is None:
            # DOT names no client for an error raised while validating the request, so only the
            # server-wide schemes (https) would be allowed; the redirect URI was already checked
            # against this client, whose loopback http or private-use scheme applies.
            application = (
                get_application_model().objects.filter(client_id=self.request.GET.get("client_id")).first()
            )
        mode = response_modes.response_mode(self.request.GET)
        redirect_uri = self.request.GET.get("redirect_uri")
        if mode == response_modes.FRAGMENT:
            # Errors included: DOT and oauthlib put an error in the query whatever the mode.
            redirect_to = response_modes.in_fragment(redirect_to, redirect_uri)
        response = super().redirect(redirect_to, application)  # checks the scheme
        # A code or an error goes to the client: this authorization is over, and the request_uris
        # this browser took for it are refused from now on (par.take_pushed_request).
        par.forget_taken(
            self.request, application.client_id if application else self.request.GET.get("client_id")
        )
        if mode == response_modes.FORM_POST:
            return response_modes.form_post_response(self.request, redirect_to, redirect_uri)
        if self.request.method == "POST" and response.status_code == 302:
            # FAPI 2.0 Security Profile §5.3.2.2 (and RFC 9700 §4.12): after a POST (the consent
            # form, a POSTed authorization request) 303, so the browser never re-POSTs the form,
            # with the user's credentials or CSRF token, to the client.
            response.status_code = 303
        return response

    def consent_required(self):
        data = self.oauth2_data
        error = errors.ConsentRequired(state=data.get("state"))
        return self.error_response(
            OAuthToolkitError(error=error, redirect_uri=data["redirect_uri"]), data["application"]
        )

    def handle_no_permission(self):
        # A signed-out user is sent to sign in only for a request that could succeed: an unknown
        # client or an unregistered redirect URI gets the error page straight away.
        prompt = set(self.request.GET.get("prompt", "").split())
        if self.request.method == "GET" and not prompt & {"none", "create", "login"}:
            try:
                self.validate_authorization_request(self.request)
            except FatalClientError as error:
                return self.error_response(error, application=None)
            except OAuthToolkitError:
                pass  # a redirectable error: the client hears about it once the user is back
            if par.came_pushed(self.request):
                return self.sign_in_redirect()
        return super().handle_no_permission()

    def form_valid(self, form):
        # DOT looks the client up with .get(): a tampered form naming no client would be a 500.
        clients = get_application_model().objects.select_related("user")
        self.client = clients.filter(client_id=form.cleaned_data["client_id"]).first()
        if self.client is None:
            return self.form_invalid(form)
        # The dialog was shown only once the session reached the level the request and the client
        # require; a consent form answered from a weaker session (another tab, a forged form) is not.
        wanted = authn.requested_acr({"claims": form.cleaned_data.get("claims") or ""}, None)
        _auth_time, achieved = authn.session_authentication(self.request)
        decision = authn.step_up_decision(
            achieved=achieved,
            wanted=wanted if wanted.essential else authn.AcrRequest(),
            minimum=self.client.minimum_acr,
            reachable=list,  # nothing more can be reached from here
        )
        if decision.unmet is not None:
            client_minimum = decision.unmet == authn.UNMET_MINIMUM
            error = unmet_authentication_requirements(form.cleaned_data, client_minimum=client_minimum)
            return self.error_response(error, self.client)
        # The consent form carries the request's resources in a hidden field (DOT's): checked again.
        resources = (form.cleaned_data.get("resource") or "").split()
        try:
            refuse_unknown_resources(self.request, resources, form.cleaned_data)
        except OAuthToolkitError as error:
            return self.error_response(error, self.client)
        return super().form_valid(form)

    def form_invalid(self, form):
        # A tampered or incomplete consent form: an error page, not a dialog for nothing.
        error = {"error": "invalid_request", "description": "The authorization request was incomplete."}
        return self.render_to_response(self.get_context_data(error=error), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        if application is not None and self.client is not None and self.client.pk == application.pk:
            # The same row, read with the owner the page names (DOT's own read is without).
            context["application"] = application = self.client
        if application is not None:
            context["redirect_host"] = urlsplit(context.get("redirect_uri") or "").netloc
            context["scope_items"] = list(
                zip(
                    context.get("scopes", []),
                    map(scopes.describe, context.get("scopes_descriptions", [])),
                    strict=True,
                )
            )
        return context

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and not authorization_requests.is_consent_submission(request):
            # Not the consent form's answer (no valid CSRF token): a POSTed authorization request.
            authorization_requests.post_as_get(request)
        if request.method == "GET":
            # RFC 9126 §4: a pushed request's request_uri, spent; from here on it is the request.
            if pushed_error := par.take_pushed_request(request):
                response = self.error_response(pushed_error, application=None)
            else:
                # OIDC Core §6: a request object stands for the request; from here on it is the request.
                request_objects.resolve(request)
                response = super().dispatch(request, *args, **kwargs)
        else:
            response = super().dispatch(request, *args, **kwargs)
        response["X-Frame-Options"] = "DENY"
        # The authorize URL carries state and the redirect to the client carries the code, so no
        # Referer may leave the site. Every response that sends the browser on (the redirects after
        # Allow, Deny or remembered consent) is "no-referrer". The HTML page with the Allow/Deny
        # form is "same-origin", which sends nothing cross-origin either: under "no-referrer"
        # browsers send "Origin: null" with the form's POST and Django's CSRF check refuses it.
        is_page = response.get("Content-Type", "").startswith("text/html") and not response.has_header(
            "Location"
        )
        response["Referrer-Policy"] = "same-origin" if is_page else "no-referrer"
        return response


class LevelNotReached(Exception):  # noqa: N818 - an interruption, not an error
    """Raised while validating an authorization request whose session is below the level needed:
    ``response`` (the step-up page, or the page saying a second factor is required) answers it."""

    def __init__(self, response):
        super().__init__("The session's sign-in is below the level the request needs.")
        self.response = response


def unmet_authentication_requirements(credentials, *, client_minimum: bool) -> OAuthToolkitError:
    """The error for a level the user cannot reach (OIDC Core errata §3.1.2.6), to the client."""
    description = (
        "This client requires a sign-in with a second factor, which the user has not set up."
        if client_minimum
        else "The user cannot reach the essential acr the request asked for."
    )
    error = errors.CustomOAuth2Error(
        error=authn.UNMET_AUTHENTICATION_REQUIREMENTS, description=description, state=credentials.get("state")
    )
    return OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])


def refuse_unknown_resources(request, resources, credentials) -> None:
    """RFC 8707 §2: ``invalid_target``, sent back to the client, for a resource this server does not
    serve (DOT checks only that each is an absolute URI)."""
    requested = audience.unknown_resource(resources, origin=audience.request_origin(request))
    if requested is not None:
        error = audience.invalid_target(requested, state=credentials.get("state"))
        raise OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])


def id_token_names(hint, user) -> bool:
    """True when ``hint`` is an ID token we signed and issued (expired or not) whose ``sub`` is
    ``user``."""
    try:
        # No claim checks: an expired ID token still names who signed in (OIDC Core §3.1.2.1).
        claims = json.loads(jwt.JWT(jwt=hint, key=verification_key_set(), check_claims={}).claims)
    except (JWException, ValueError, TypeError):  # not a JWS of ours, or a payload that is not JSON
        return False
    if not isinstance(claims, dict):
        return False
    try:
        jti = uuid.UUID(str(claims.get("jti")))  # our ID tokens' jti; anything else names none
    except ValueError:
        return False
    if not get_id_token_model().objects.filter(jti=jti).exists():
        return False
    return claims.get("sub") == str(user.pk)
