"""Where the OpenID Connect signing key comes from. Imported by settings, so no models here."""

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


def dev_key_create(dev_key_path: Path) -> bool:
    """Generate the development signing key into ``dev_key_path`` (owner-only) unless it exists;
    True when a key was written."""
    if dev_key_path.is_file():
        return False
    dev_key_path.parent.mkdir(parents=True, exist_ok=True)
    dev_key_path.touch(mode=0o600)
    dev_key_path.write_text(generate_rsa_private_key_pem())
    return True
