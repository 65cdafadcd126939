"""Issue 19 §3: a re-authentication satisfies only the authorization request that asked for it
(OIDC Core §3.1.2.1: with max_age the OP MUST re-authenticate when the sign-in is older; max_age=0
always asks)."""

import time
from urllib.parse import urlsplit

import pytest
from oauth2_provider.models import get_grant_model, get_id_token_model

from tests.oidc_conformance.rp import (
    LOGIN_PATH,
    auth_request,
    authorize,
    code_from,
    exchange,
    follow_sign_in,
    validate_id_token,
)

pytestmark = pytest.mark.django_db


def asks_to_sign_in(response) -> bool:
    return response.status_code == 302 and urlsplit(response["Location"]).path == LOGIN_PATH


def signed_in_again_for(browser, api_client, rp, user, **params) -> dict:
    """A request that sends the user to sign in; they do; its code's ID token claims."""
    request = auth_request(rp, **params)
    first = authorize(browser, rp, request)
    assert asks_to_sign_in(first)
    back = follow_sign_in(browser, user, first)
    tokens = exchange(api_client, rp, code_from(back, rp, request))
    return validate_id_token(api_client, rp, tokens["id_token"], nonce=request["nonce"])


def test_max_age_asks_again_for_each_request_the_sign_in_is_too_old_for(
    password_signed_in, api_client, static_rp, end_user
):
    time.sleep(1.1)
    first = signed_in_again_for(password_signed_in, api_client, static_rp, end_user, max_age="1")
    time.sleep(1.1)  # the new sign-in is now older than max_age too

    later = authorize(password_signed_in, static_rp, auth_request(static_rp, max_age="1"))

    assert asks_to_sign_in(later)
    assert get_id_token_model().objects.count() == 1  # only the first request's
    assert not get_grant_model().objects.exists()  # and no code waiting
    assert first["auth_time"] >= int(time.time()) - 3


def test_max_age_zero_never_issues_a_code_silently(password_signed_in, api_client, static_rp, end_user):
    claims = signed_in_again_for(password_signed_in, api_client, static_rp, end_user, max_age="0")
    assert abs(time.time() - claims["auth_time"]) < 5

    # Another request, and the very same one again: each asks, none gets a code without a sign-in.
    for request in (auth_request(static_rp, max_age="0"), auth_request(static_rp, max_age="0")):
        assert asks_to_sign_in(authorize(password_signed_in, static_rp, request))
        assert asks_to_sign_in(authorize(password_signed_in, static_rp, request))
    assert get_id_token_model().objects.count() == 1
    assert not get_grant_model().objects.exists()


def test_a_waiting_request_is_satisfied_by_a_later_sign_in_once(
    password_signed_in, api_client, static_rp, end_user
):
    waiting = auth_request(static_rp, max_age="0")
    assert asks_to_sign_in(authorize(password_signed_in, static_rp, waiting))
    signed_in_again_for(password_signed_in, api_client, static_rp, end_user, max_age="0")

    # The earlier request was also waiting for a sign-in, and one happened after it: it counts
    # (the user signed in while it waited), once.
    back = authorize(password_signed_in, static_rp, waiting)
    assert code_from(back, static_rp, waiting)
    assert asks_to_sign_in(authorize(password_signed_in, static_rp, waiting))
