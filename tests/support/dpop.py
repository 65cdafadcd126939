"""Hand-made DPoP proofs (RFC 9449), signed with keys jwcrypto generates in the test."""

import json
import time
import uuid

from jwcrypto import jwk, jws

from beerlocker_api.dpop import access_token_hash

KEY_TYPES = {
    "ES256": {"kty": "EC", "crv": "P-256"},
    "ES384": {"kty": "EC", "crv": "P-384"},
    "PS256": {"kty": "RSA", "size": 2048},
    "RS256": {"kty": "RSA", "size": 2048},
    "EdDSA": {"kty": "OKP", "crv": "Ed25519"},
    "HS256": {"kty": "oct", "size": 256},
}


def new_key(alg="ES256") -> jwk.JWK:
    return jwk.JWK.generate(**KEY_TYPES[alg])


def make_proof(
    key,
    *,
    htm="GET",
    htu,
    alg="ES256",
    token=None,
    typ="dpop+jwt",
    header_jwk=None,
    iat=None,
    jti=None,
    nonce=None,
    drop=(),
    **claims,
) -> str:
    """A proof for ``htm`` ``htu`` signed by ``key`` (its public half in the header unless
    ``header_jwk`` says otherwise); ``token`` adds its ``ath``; ``drop`` leaves claims out."""
    payload = {
        "jti": jti or uuid.uuid4().hex,
        "htm": htm,
        "htu": htu,
        "iat": int(time.time()) if iat is None else iat,
        **claims,
    }
    if token is not None:
        payload["ath"] = access_token_hash(token)
    if nonce is not None:
        payload["nonce"] = nonce
    for name in drop:
        payload.pop(name, None)
    header = {
        "alg": alg,
        "typ": typ,
        "jwk": header_jwk if header_jwk is not None else key.export_public(as_dict=True),
    }
    if typ is None:
        header.pop("typ")
    signed = jws.JWS(json.dumps(payload))
    signed.add_signature(key, alg=alg, protected=json.dumps(header))
    return signed.serialize(compact=True)
