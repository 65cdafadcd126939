"""The server's signing keys: generating, checking and storing them, publishing them (the JWKS) and
signing with them. Settings may import it, so no models here, and settings are read inside functions.

Two keys sign, one per key type (``oauthclients.grants.JWS_ALGS``):

- RSA, for RS256 and PS256: ``OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]`` or, when that is not set,
  the file ``OAUTHCLIENTS["OIDC_KEY_FILE"]`` that ``manage.py createoidckey`` writes;
- EC P-256, for ES256: ``OAUTHCLIENTS["OIDC_EC_PRIVATE_KEY"]`` or the file
  ``OAUTHCLIENTS["OIDC_EC_KEY_FILE"]`` (the same command writes it). Without one, ES256 is simply
  not offered (discovery and registration say so).

Each rotates the same way: one key signs, the previous ones (``OIDC_RSA_PRIVATE_KEYS_INACTIVE``,
DOT's setting, and ``OAUTHCLIENTS["OIDC_EC_PRIVATE_KEYS_INACTIVE"]``) sign nothing but stay in the
JWKS, so tokens they signed keep verifying at relying parties and as ``id_token_hint`` here until
they expire. docs/oauth.md "Rotating the signing keys".

The JWKS publishes each key once per algorithm, each entry with its own ``kid``, ``alg`` and
``use``: a JWK names one ``alg`` (RFC 7517 §4.4), and strict relying parties (panva's jose and
openid-client) refuse a key whose ``alg`` is not the token's. An RSA key's RS256 entry keeps the
key's thumbprint as its ``kid`` (as DOT has always published it); its PS256 entry adds ``-ps256``.
"""

import functools
import json
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk, jwt

from oauthclients.grants import ES256, JWS_ALG_KEY_TYPES, JWS_ALGS, RS256

RSA, EC = "RSA", "EC"


def _pkcs8_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def generate_rsa_private_key_pem() -> str:
    """A new 2048-bit RSA private key as PKCS#8 PEM."""
    return _pkcs8_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def generate_ec_private_key_pem() -> str:
    """A new EC P-256 private key (ES256) as PKCS#8 PEM."""
    return _pkcs8_pem(ec.generate_private_key(ec.SECP256R1()))


def _is_key_type(key, key_type: str) -> bool:
    if key_type == EC:
        return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)
    return isinstance(key, rsa.RSAPrivateKey)


def check_private_key(pem: str, *, key_type: str, name: str) -> str:
    """``pem`` when it is a private key of ``key_type`` (RSA, or EC P-256), else ImproperlyConfigured
    naming the setting: a key that fails later would fail every token it signs."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{name} cannot be loaded as a PEM private key: {exc}.") from exc
    if not _is_key_type(key, key_type):
        raise ImproperlyConfigured(f"{name} is not an {'EC P-256' if key_type == EC else 'RSA'} private key.")
    return pem


_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)


def load_inactive_oidc_keys(*, pems: str, paths: list[str], active: str, key_type: str = RSA) -> list[str]:
    """The previous signing keys, still published and still verifying, never signing: the PEM
    blocks in ``pems`` (concatenated) then the file at each of ``paths``, without ``active`` and
    without repeats. Each must be a private key of ``key_type`` (RSA, or EC P-256), or the server
    refuses to start: a key that silently fails to load would break every token it signed at the
    next rotation."""
    blocks = _PEM_BLOCK.findall(pems)
    if pems.strip() and not blocks:
        raise ImproperlyConfigured("The text given as inactive OIDC signing keys holds no PEM private key.")
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"The inactive OIDC signing key file {path} cannot be read: {exc.strerror}."
            ) from exc
        found = _PEM_BLOCK.findall(text)
        if not found:
            raise ImproperlyConfigured(f"The inactive OIDC signing key file {path} holds no PEM private key.")
        blocks.extend(found)
    keys: list[str] = []
    for block in blocks:
        try:
            key = serialization.load_pem_private_key(block.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"An inactive OIDC signing key cannot be loaded: {exc}.") from exc
        if not _is_key_type(key, key_type):
            kind = "an EC P-256" if key_type == EC else "an RSA"
            raise ImproperlyConfigured(f"An inactive OIDC signing key is not {kind} key.")
        if _same_key(block, active) or any(_same_key(block, kept) for kept in keys):
            continue
        keys.append(block)
    return keys


def _same_key(pem: str, other: str) -> bool:
    if not other:
        return False
    # The public keys' DER encodings: equal exactly when the keys are (any key type has one).
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    public = serialization.load_pem_private_key(pem.encode(), password=None).public_key()
    other_public = serialization.load_pem_private_key(other.encode(), password=None).public_key()
    return public.public_bytes(*spki) == other_public.public_bytes(*spki)


def read_key_file(path) -> str:
    """The PEM in the file at ``path``; ImproperlyConfigured, naming the file, when it cannot be read."""
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"The OIDC signing key file {path} cannot be read: {exc.strerror}."
        ) from exc


def key_file_create(path: Path, *, key_type: str = RSA) -> bool:
    """Generate a signing key of ``key_type`` into ``path`` (owner-only) unless it exists; True
    when written."""
    if path.is_file():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(generate_ec_private_key_pem() if key_type == EC else generate_rsa_private_key_pem())
    return True


# --- The keys in use ----------------------------------------------------------------------------


def _key_pems(key_type: str) -> tuple[str, list[str]]:
    """The active PEM of ``key_type`` ("" when none is configured) and the inactive ones."""
    from oauth2_provider.settings import oauth2_settings  # DOT's settings read ours (conf)

    from oauthclients import conf

    if key_type == RSA:
        return oauth2_settings.OIDC_RSA_PRIVATE_KEY or "", list(
            oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE
        )
    return conf.oidc_ec_key(), list(conf.get("OIDC_EC_PRIVATE_KEYS_INACTIVE"))


@functools.lru_cache(maxsize=32)
def _jwk(pem: str) -> jwk.JWK:
    return jwk.JWK.from_pem(pem.encode())


def key_id(key: jwk.JWK, alg: str) -> str:
    """The ``kid`` of ``key``'s JWKS entry for ``alg``: its RFC 7638 thumbprint, with the algorithm
    after it where one key serves two (an RSA key's PS256 entry)."""
    thumbprint = key.thumbprint()
    return thumbprint if alg in (RS256, ES256) else f"{thumbprint}-{alg.lower()}"


def server_signing_algs() -> list[str]:
    """The algorithms the server can sign with now: those whose key type has an active key, in the
    order of ``JWS_ALGS``. Discovery's ``id_token_signing_alg_values_supported`` and
    ``userinfo_signing_alg_values_supported``, and what a client may register, are this list."""
    return [alg for alg in JWS_ALGS if _key_pems(JWS_ALG_KEY_TYPES[alg])[0]]


def signing_key(alg: str) -> jwk.JWK:
    """The active private key that signs with ``alg``; ImproperlyConfigured when there is none."""
    if alg not in JWS_ALG_KEY_TYPES:
        raise ImproperlyConfigured(f"The server does not sign with {alg}.")
    pem = _key_pems(JWS_ALG_KEY_TYPES[alg])[0]
    if not pem:
        raise ImproperlyConfigured(f"No signing key is configured for {alg} (docs/oauth.md).")
    return _jwk(pem)


def public_jwks() -> list[dict]:
    """The JWKS ``keys``: every active and inactive key once per algorithm of its type, public parts
    only, each with its ``kid``, ``alg`` and ``use``. Active keys first."""
    entries = []
    pems = {key_type: _key_pems(key_type) for key_type in (RSA, EC)}
    for key_type, (active, inactive) in pems.items():
        algs = [alg for alg in JWS_ALGS if JWS_ALG_KEY_TYPES[alg] == key_type]
        for alg in algs:
            for pem in [active, *inactive] if active else inactive:
                key = _jwk(pem)
                entries.append(
                    {**json.loads(key.export_public()), "kid": key_id(key, alg), "alg": alg, "use": "sig"}
                )
    return entries


def verification_key_set() -> jwk.JWKSet:
    """The server's public keys as a JWKSet (by ``kid``): what verifies a token this server signed,
    active key or not, such as an ``id_token_hint``."""
    return jwk.JWKSet.from_json(json.dumps({"keys": public_jwks()}))


def sign_jwt(claims: dict, *, alg: str, typ: str = "JWT") -> str:
    """``claims`` as a compact JWS signed with the server's active key for ``alg`` (RS256, PS256 or
    ES256), with the ``kid`` the JWKS publishes for it: ID tokens, signed userinfo, logout tokens,
    and any other JWT the server issues (``typ`` names its kind, e.g. ``at+jwt``)."""
    key = signing_key(alg)
    header = {"typ": typ, "alg": alg, "kid": key_id(key, alg)}
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims, default=str))
    token.make_signed_token(key)
    return token.serialize()
