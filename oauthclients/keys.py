"""OpenID Connect signing keys: generating, checking and storing them. Settings may import it, so
no models here. The active key is ``OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]`` or, when that is not
set, the file ``OAUTHCLIENTS["OIDC_KEY_FILE"]`` (oauthclients.conf) that ``manage.py createoidckey``
writes.

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


_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)


def load_inactive_oidc_keys(*, pems: str, paths: list[str], active: str) -> list[str]:
    """The previous signing keys, still published and still verifying, never signing: the PEM
    blocks in ``pems`` (concatenated) then the file at each of ``paths``, without ``active`` and
    without repeats. Each must be an RSA private key, or the server refuses to start: a key that
    silently fails to load would break every token it signed at the next rotation."""
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
    keys = []
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
    public = serialization.load_pem_private_key(pem.encode(), password=None).public_key()
    other_public = serialization.load_pem_private_key(other.encode(), password=None).public_key()
    return public.public_numbers() == other_public.public_numbers()


def read_key_file(path) -> str:
    """The PEM in the file at ``path``; ImproperlyConfigured, naming the file, when it cannot be read."""
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"The OIDC signing key file {path} cannot be read: {exc.strerror}."
        ) from exc


def key_file_create(path: Path) -> bool:
    """Generate a signing key into ``path`` (owner-only) unless it exists; True when written."""
    if path.is_file():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(generate_rsa_private_key_pem())
    return True
