"""Where the OpenID Connect signing keys come from. Imported by settings, so no models here.

One key signs (``OIDC_RSA_PRIVATE_KEY``); the previous ones (``OIDC_RSA_PRIVATE_KEYS_INACTIVE``,
DOT's setting) sign nothing but stay in the JWKS, so ID tokens they signed keep verifying at relying
parties and as ``id_token_hint`` here until they expire. docs/oauth.md "Rotating the signing key".
"""

import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured


def generate_rsa_private_key_pem() -> str:
    """A new 2048-bit RSA private key as PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def load_oidc_private_key(*, pem: str, path: str, debug: bool, dev_key_path: Path) -> str:
    """The PEM from ``pem`` or the file at ``path``; in debug only, the development key in
    ``dev_key_path`` (an ignored file ``make run`` creates with ``createoidckey``), or "" before
    it exists. Never writes anything: settings call this at import.

    Without debug and without a key the server refuses to start: ID tokens signed with a key
    nobody configured would change on every restart and fail every relying party's checks.
    """
    if pem:
        return pem
    if path:
        try:
            return Path(path).read_text()
        except OSError as exc:
            raise ImproperlyConfigured(f"OIDC_RSA_PRIVATE_KEY_FILE cannot be read: {exc.strerror}.") from exc
    if not debug:
        raise ImproperlyConfigured(
            "Set OIDC_RSA_PRIVATE_KEY (PEM) or OIDC_RSA_PRIVATE_KEY_FILE to sign OpenID Connect ID tokens "
            "(or DJANGO_DEBUG=1 for local development, where `make run` generates one into var/oidc.key)."
        )
    return dev_key_path.read_text() if dev_key_path.is_file() else ""


_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)


def load_inactive_oidc_keys(*, pems: str, paths: list[str], active: str) -> list[str]:
    """The previous signing keys, still published and still verifying, never signing: the PEM
    blocks in ``pems`` (concatenated) then the file at each of ``paths``, without ``active`` and
    without repeats. Each must be an RSA private key, or the server refuses to start: a key that
    silently fails to load would break every token it signed at the next rotation."""
    blocks = _PEM_BLOCK.findall(pems)
    if pems.strip() and not blocks:
        raise ImproperlyConfigured("OIDC_RSA_PRIVATE_KEYS_INACTIVE holds no PEM private key.")
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"OIDC_RSA_PRIVATE_KEYS_INACTIVE_FILES: {path} cannot be read: {exc.strerror}."
            ) from exc
        found = _PEM_BLOCK.findall(text)
        if not found:
            raise ImproperlyConfigured(
                f"OIDC_RSA_PRIVATE_KEYS_INACTIVE_FILES: {path} holds no PEM private key."
            )
        blocks.extend(found)
    keys: list[str] = []
    for block in blocks:
        try:
            key = serialization.load_pem_private_key(block.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"An inactive OIDC signing key cannot be loaded: {exc}.") from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ImproperlyConfigured("An inactive OIDC signing key is not an RSA key.")
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


def dev_key_create(dev_key_path: Path) -> bool:
    """Generate the development signing key into ``dev_key_path`` (owner-only) unless it exists;
    True when a key was written."""
    if dev_key_path.is_file():
        return False
    dev_key_path.parent.mkdir(parents=True, exist_ok=True)
    dev_key_path.touch(mode=0o600)
    dev_key_path.write_text(generate_rsa_private_key_pem())
    return True
