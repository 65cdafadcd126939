"""Signing keys that rotate: the current key signs, previous ones stay published and verifying."""

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk, jws, jwt

from oauthclients.keys import (
    EC,
    generate_ec_private_key_pem,
    generate_rsa_private_key_pem,
    load_inactive_oidc_keys,
)
from tests.factories import make_client
from tests.support.oauth import authorize_url, query, user_tokens

pytestmark = pytest.mark.django_db

JWKS = "/api/oauth2/.well-known/jwks.json"


def kid(pem):
    return jwk.JWK.from_pem(pem.encode()).thumbprint()


def header(token):
    unverified = jws.JWS()
    unverified.deserialize(token)
    return unverified.jose_header


def rotate(settings, *, to):
    """What an operator does on every instance: the new key signs, the old one moves to inactive."""
    old = settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": to,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [old],
    }
    return old


@pytest.fixture
def id_token_before_rotation(signed_in, api_client):
    client, secret = make_client(scope="openid beers:read")
    tokens = user_tokens(signed_in, api_client, client, secret, scope="openid beers:read", nonce="n-1")
    return tokens["id_token"], client, secret


def rotate_ec(settings, *, to):
    """The same for the EC key (ES256): the new key signs, the old one moves to inactive."""
    old = settings.OAUTHCLIENTS["OIDC_EC_PRIVATE_KEY"]
    settings.OAUTHCLIENTS = {
        **settings.OAUTHCLIENTS,
        "OIDC_EC_PRIVATE_KEY": to,
        "OIDC_EC_PRIVATE_KEYS_INACTIVE": [old],
    }
    return old


def test_after_rotation_the_jwks_publishes_the_new_and_the_previous_key(settings, api_client):
    new = generate_rsa_private_key_pem()
    old = rotate(settings, to=new)
    new_ec = generate_ec_private_key_pem()
    old_ec = rotate_ec(settings, to=new_ec)

    keys = api_client.get(JWKS).json()["keys"]

    # Each RSA key once for RS256 (its thumbprint, as always) and once for PS256; each EC key for
    # ES256. One alg per entry, as strict relying parties (panva's jose) want.
    assert [(key["kid"], key["alg"], key["kty"]) for key in keys] == [
        (kid(new), "RS256", "RSA"),
        (kid(old), "RS256", "RSA"),
        (f"{kid(new)}-ps256", "PS256", "RSA"),
        (f"{kid(old)}-ps256", "PS256", "RSA"),
        (kid(new_ec), "ES256", "EC"),
        (kid(old_ec), "ES256", "EC"),
    ]
    assert all(key["use"] == "sig" and "d" not in key for key in keys)
    assert {key["crv"] for key in keys if key["kty"] == "EC"} == {"P-256"}


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_an_id_token_signed_with_es256_or_ps256_before_rotation_still_verifies_and_new_ones_use_the_new_key(
    settings, signed_in, api_client, alg
):
    client, secret = make_client(scope="openid beers:read", algorithm=alg)
    before = user_tokens(signed_in, api_client, client, secret, scope="openid beers:read", nonce="n")[
        "id_token"
    ]
    if alg == "ES256":
        old = rotate_ec(settings, to=generate_ec_private_key_pem())
    else:
        old = rotate(settings, to=generate_rsa_private_key_pem())
    after = user_tokens(
        signed_in, api_client, client, secret, scope="openid beers:read", nonce="n", prompt="consent"
    )["id_token"]

    published = jwk.JWKSet.from_json(api_client.get(JWKS).content)
    for token in (before, after):
        jwt.JWT(jwt=token, key=published, algs=[alg])  # raises if not
    suffix = "-ps256" if alg == "PS256" else ""
    assert header(before)["kid"] == kid(old) + suffix
    assert header(after)["kid"] != header(before)["kid"]
    assert header(after)["alg"] == alg


def test_an_id_token_signed_before_rotation_still_verifies_against_the_jwks(
    settings, api_client, id_token_before_rotation
):
    id_token, client, _secret = id_token_before_rotation
    old = rotate(settings, to=generate_rsa_private_key_pem())

    published = jwk.JWKSet.from_json(api_client.get(JWKS).content)
    claims = json.loads(jwt.JWT(jwt=id_token, key=published, algs=["RS256"]).claims)

    assert header(id_token)["kid"] == kid(old)
    assert claims["aud"] == client.client_id


def test_after_rotation_new_id_tokens_are_signed_by_the_new_key_only(settings, signed_in, api_client):
    new = generate_rsa_private_key_pem()
    rotate(settings, to=new)
    client, secret = make_client(scope="openid beers:read")

    id_token = user_tokens(signed_in, api_client, client, secret, scope="openid beers:read", nonce="n")[
        "id_token"
    ]

    assert header(id_token)["kid"] == kid(new)
    jwt.JWT(jwt=id_token, key=jwk.JWK.from_pem(new.encode()), algs=["RS256"])  # raises if not


def test_an_id_token_hint_signed_by_the_previous_key_still_signs_in_silently(
    settings, signed_in, id_token_before_rotation
):
    id_token, client, _secret = id_token_before_rotation
    rotate(settings, to=generate_rsa_private_key_pem())

    response = signed_in.get(
        authorize_url(client, scope="openid beers:read", prompt="none", nonce="n-2", id_token_hint=id_token)
    )

    assert response.status_code == 302
    assert query(response["Location"])["code"]


def test_an_id_token_hint_signed_by_a_retired_key_is_login_required(
    settings, signed_in, id_token_before_rotation
):
    id_token, client, _secret = id_token_before_rotation
    rotate(settings, to=generate_rsa_private_key_pem())
    rotate(settings, to=generate_rsa_private_key_pem())  # the first key is now gone entirely

    response = signed_in.get(
        authorize_url(client, scope="openid beers:read", prompt="none", nonce="n-2", id_token_hint=id_token)
    )

    assert response.status_code == 302
    assert query(response["Location"])["error"] == "login_required"


# --- Configuration (settings read these from the environment) ---------------------------------


def test_inactive_keys_come_from_concatenated_pems_and_files_without_the_active_one_or_repeats(tmp_path):
    active, first, second = (generate_rsa_private_key_pem() for _ in range(3))
    path = tmp_path / "previous.pem"
    path.write_text(second)

    keys = load_inactive_oidc_keys(
        pems=first + "\n" + active + "\n" + first, paths=[str(path)], active=active
    )

    assert [kid(key) for key in keys] == [kid(first), kid(second)]


def test_inactive_ec_keys_must_be_ec_p256_keys():
    active, previous = generate_ec_private_key_pem(), generate_ec_private_key_pem()

    assert load_inactive_oidc_keys(pems=previous, paths=[], active=active, key_type=EC) == [previous.strip()]
    with pytest.raises(ImproperlyConfigured, match="not an EC P-256 key"):
        load_inactive_oidc_keys(pems=generate_rsa_private_key_pem(), paths=[], active=active, key_type=EC)
    with pytest.raises(ImproperlyConfigured, match="not an RSA key"):
        load_inactive_oidc_keys(pems=previous, paths=[], active="")


def test_no_inactive_keys_by_default():
    assert load_inactive_oidc_keys(pems="", paths=[], active=generate_rsa_private_key_pem()) == []


@pytest.mark.parametrize(
    "pems, message",
    [
        ("not a key", "holds no PEM private key"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "cannot be loaded"),
    ],
)
def test_a_broken_inactive_key_stops_the_server_from_starting(pems, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load_inactive_oidc_keys(pems=pems, paths=[], active="")


def test_an_unreadable_inactive_key_file_stops_the_server_from_starting(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        load_inactive_oidc_keys(pems="", paths=[str(tmp_path / "missing.pem")], active="")


@pytest.mark.slow
def test_production_settings_read_the_previous_keys_from_the_environment(tmp_path):
    active, previous, older = (generate_rsa_private_key_pem() for _ in range(3))
    (tmp_path / "older.pem").write_text(older)
    script = (
        "import django; django.setup();"
        "from oauth2_provider.settings import oauth2_settings as s;"
        "from jwcrypto import jwk;"
        "print(' '.join(jwk.JWK.from_pem(p.encode()).thumbprint() for p in s.OIDC_RSA_PRIVATE_KEYS_INACTIVE))"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "beerlocker.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "OIDC_RSA_PRIVATE_KEY": active,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": previous,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE_FILES": str(tmp_path / "older.pem"),
    }

    result = subprocess.run(  # noqa: S603 - our own interpreter and settings
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [kid(previous), kid(older)]
