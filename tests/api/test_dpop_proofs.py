"""Every rule of a DPoP proof (RFC 9449 §4.3), with proofs made by hand (beerlocker_api.dpop)."""

import time

import pytest
from django.test import RequestFactory, override_settings

from beerlocker_api import dpop
from tests.support.dpop import make_proof, new_key

URI = "https://server.example.com/api/beers"


def verify(proof, *, method="GET", uri=URI, **kwargs):
    return dpop.verify_proof(proof, method=method, uri=uri, **kwargs)


@pytest.mark.parametrize("alg", ["ES256", "ES384", "PS256", "RS256", "EdDSA"])
def test_a_proof_signed_with_each_accepted_alg_passes_and_names_its_keys_thumbprint(alg):
    key = new_key(alg)
    proof = verify(make_proof(key, htu=URI, alg=alg))
    assert proof.jkt == key.thumbprint()
    assert len(proof.jkt) == 43


def test_a_symmetric_or_unlisted_alg_is_refused():
    secret = new_key("HS256")
    with pytest.raises(dpop.InvalidProof, match="alg"):
        verify(make_proof(secret, htu=URI, alg="HS256", header_jwk=secret.export(as_dict=True)))
    only_ps256 = override_settings(BEERLOCKER_API={"DPOP_SIGNING_ALGS": ["PS256"]})
    with only_ps256, pytest.raises(dpop.InvalidProof, match="alg must be one of: PS256"):
        verify(make_proof(new_key(), htu=URI))


def test_the_typ_must_be_dpop_jwt():
    with pytest.raises(dpop.InvalidProof, match="typ"):
        verify(make_proof(new_key(), htu=URI, typ="JWT"))
    with pytest.raises(dpop.InvalidProof, match="typ"):
        verify(make_proof(new_key(), htu=URI, typ=None))


def test_the_header_jwk_must_be_a_public_key_that_verifies_the_signature():
    key = new_key()
    private = key.export_private(as_dict=True)
    with pytest.raises(dpop.InvalidProof, match="private members"):
        verify(make_proof(key, htu=URI, header_jwk=private))
    with pytest.raises(dpop.InvalidProof, match="signature"):
        verify(make_proof(key, htu=URI, header_jwk=new_key().export_public(as_dict=True)))
    with pytest.raises(dpop.InvalidProof, match="jwk"):
        verify(make_proof(key, htu=URI, header_jwk={"kty": "EC"}))


def test_garbage_and_missing_proofs_are_refused():
    for proof in (None, "", "a.b", "a.b.c", "x" * 9000 + ".a.b"):
        with pytest.raises(dpop.InvalidProof):
            verify(proof)


def test_htm_must_be_the_requests_method():
    with pytest.raises(dpop.InvalidProof, match="htm"):
        verify(make_proof(new_key(), htm="POST", htu=URI), method="GET")


def test_htu_is_compared_without_query_and_fragment_and_normalised():
    key = new_key()
    assert verify(make_proof(key, htu="HTTPS://Server.Example.COM:443/api/beers"), uri=URI + "?page=2")
    assert verify(make_proof(key, htu=URI + "?a=1#frag"))
    assert verify(make_proof(key, htu="https://server.example.com/api/%62eers"))
    for other in (
        "https://server.example.com/api/beers/1",
        "http://server.example.com/api/beers",
        "https://server.example.com:8443/api/beers",
        "https://evil.example.com/api/beers",
        "/api/beers",
    ):
        with pytest.raises(dpop.InvalidProof, match="htu"):
            verify(make_proof(key, htu=other))


@override_settings(BEERLOCKER_API={"DPOP_PROOF_MAX_AGE_SECONDS": 60, "DPOP_PROOF_FUTURE_SECONDS": 5})
def test_iat_must_be_within_the_window():
    key = new_key()
    now = int(time.time())
    assert verify(make_proof(key, htu=URI, iat=now - 50))
    assert verify(make_proof(key, htu=URI, iat=now + 3))
    with pytest.raises(dpop.InvalidProof, match="too old"):
        verify(make_proof(key, htu=URI, iat=now - 70))
    with pytest.raises(dpop.InvalidProof, match="future"):
        verify(make_proof(key, htu=URI, iat=now + 30))
    with pytest.raises(dpop.InvalidProof, match="iat"):
        verify(make_proof(key, htu=URI, drop=["iat"]))
    with pytest.raises(dpop.InvalidProof, match="iat"):
        verify(make_proof(key, htu=URI, iat="now"))


def test_ath_must_be_the_hash_of_the_presented_token():
    key = new_key()
    assert verify(make_proof(key, htu=URI, token="the-token"), access_token="the-token")
    with pytest.raises(dpop.InvalidProof, match="ath"):
        verify(make_proof(key, htu=URI, token="another-token"), access_token="the-token")
    with pytest.raises(dpop.InvalidProof, match="ath"):
        verify(make_proof(key, htu=URI), access_token="the-token")


def test_a_jti_is_single_use_per_key():
    key = new_key()
    proof = make_proof(key, htu=URI, jti="once")
    verify(proof)
    with pytest.raises(dpop.InvalidProof, match="used already"):
        verify(proof)
    # The same jti from another key is another proof.
    assert verify(make_proof(new_key(), htu=URI, jti="once"))
    with pytest.raises(dpop.InvalidProof, match="jti"):
        verify(make_proof(key, htu=URI, drop=["jti"]))


def test_a_refused_proof_does_not_spend_its_jti():
    key = new_key()
    with pytest.raises(dpop.InvalidProof, match="htm"):
        verify(make_proof(key, htm="POST", htu=URI, jti="kept"))
    assert verify(make_proof(key, htu=URI, jti="kept"))


@override_settings(BEERLOCKER_API={"DPOP_NONCE_SECONDS": 300})
def test_nonces_rotate_statelessly_and_the_previous_window_is_accepted(monkeypatch):
    key = new_key()
    with pytest.raises(dpop.UseNonce):
        verify(make_proof(key, htu=URI), nonce_required=True)
    with pytest.raises(dpop.UseNonce):
        verify(make_proof(key, htu=URI, nonce="made-up"), nonce_required=True)
    nonce = dpop.current_nonce()
    assert verify(make_proof(key, htu=URI, nonce=nonce), nonce_required=True)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 300)
    assert dpop.current_nonce() != nonce
    assert dpop.nonce_is_fresh(nonce)
    monkeypatch.setattr(time, "time", lambda: real_time() + 600)
    assert not dpop.nonce_is_fresh(nonce)


def test_the_request_must_carry_exactly_one_dpop_header():
    key = new_key()
    proof = make_proof(key, htu="http://testserver/api/beers")
    request = RequestFactory().get("/api/beers", HTTP_DPOP=proof)
    assert dpop.verify_request_proof(request).jkt == key.thumbprint()
    request = RequestFactory().get("/api/beers", HTTP_DPOP=f"{proof}, {proof}")
    with pytest.raises(dpop.InvalidProof, match="exactly one"):
        dpop.verify_request_proof(request)


def test_the_challenge_names_the_error_and_the_algorithms():
    assert dpop.challenge("invalid_dpop_proof", "Bad.") == (
        'DPoP error="invalid_dpop_proof", error_description="Bad.", algs="ES256 ES384 PS256 RS256 EdDSA"'
    )
