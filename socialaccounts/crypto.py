"""Encryption at rest for provider tokens: Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``.

Each configured secret is stretched into a Fernet key with HKDF-SHA256, so any long random string
works as a key and the same secret never doubles as a key for something else. ``MultiFernet``
encrypts with the first key and decrypts with any, which is how keys are rotated.
"""

import base64

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

from socialaccounts import conf

_INFO = b"beerlocker socialaccounts provider tokens v1"


def _fernet_key(secret: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


def cipher() -> MultiFernet:
    """The cipher built from SOCIALACCOUNTS["TOKEN_ENCRYPTION_KEYS"]; refuses to run without a key."""
    secrets = [secret for secret in conf.get("TOKEN_ENCRYPTION_KEYS") if secret]
    if not secrets:
        raise ImproperlyConfigured("Set SOCIALACCOUNTS['TOKEN_ENCRYPTION_KEYS'] to store provider tokens.")
    return MultiFernet([Fernet(_fernet_key(secret)) for secret in secrets])
