"""The token and revocation endpoints (RFC 6749 §3.2, RFC 7009) on DOT's views."""

from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as dot_views
from oauth2_provider.signals import app_authorized

from beerlocker_api.dpop import NONCE_HEADER, InvalidProof, current_nonce
from oauthclients.grants import (
    DEVICE_CODE,
)
from oauthclients.oauth2.compat import issued_access_token
from oauthclients.oauth2.endpoints.base import ClientEndpointMixin, oauth_error
from oauthclients.oauth2.tokens import dpop


class TokenView(ClientEndpointMixin, dot_views.TokenView):
    """The token endpoint: RFC 6749 JSON for every outcome, never cached."""

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request, *args, **kwargs):
        # DOT's, except that ``app_authorized`` gets the access token this request saved
        # (``compat.issued_access_token``) instead of reading it back by its value: one query
        # less, and no 500 when a concurrent use of the same code or refresh token detected the
        # reuse and revoked the token between this request's commit and the read (DOT's ``get()``).
        # The request still won; its tokens are dead, as reuse detection wants.
        issued = issued_access_token.set(None)
        try:
            url, headers, body, status = self.create_token_response(request)
            token = issued_access_token.get()
        finally:
            issued_access_token.reset(issued)
        if status == 200 and token is not None:
            app_authorized.send(sender=self, request=request, token=token)
        response = HttpResponse(content=body, status=status)
        for key, value in headers.items():
            response[key] = value
        if "Content-Type" not in headers:
            # oauthlib names no type for an error raised while saving the tokens (DOT's and our
            # RFC 8707 invalid_target); the body is RFC 6749 §5.2 JSON all the same.
            response["Content-Type"] = "application/json"
        return response

    def device_flow_token_response(self, request, device_code, *args, **kwargs):
        # DOT 3.4.1 answers a device's poll itself, reading the device code as stored in the
        # clear and never saying slow_down. Ours are checksums: oauthlib's DeviceCodeGrant with our
        # validator (validate_device_code, save_bearer_token) answers every status instead.
        return self.authorization_flow_token_response(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if request.POST.get("grant_type") == DEVICE_CODE and not request.POST.get("device_code"):
            # DOT's handler reads POST["device_code"] unchecked: a 500 without it.
            return oauth_error("invalid_request", "Missing device_code parameter.")
        # RFC 9449 §5: a DPoP proof is checked (and spent) before the grant; its key binds the
        # tokens (the validator reads it from ``dpop.proved_jkt``).
        try:
            proof = dpop.token_request_proof(request)
        except InvalidProof as error:
            return dpop.error_response(error)
        with dpop.proved(proof):
            response = super().post(request, *args, **kwargs)
        if proof is not None and dpop.nonce_required():
            response[NONCE_HEADER] = current_nonce()  # §8: the nonce for the client's next proof
        return response


class RevokeTokenView(ClientEndpointMixin, dot_views.RevokeTokenView):
    """RFC 7009: a client revokes only its own tokens; an unknown token still answers 200."""
