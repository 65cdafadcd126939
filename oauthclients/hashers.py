"""A password hasher for OAuth client secrets: fast, because the secrets are not passwords.

Django's default PBKDF2 runs hundreds of thousands of SHA-256 rounds so that a *guessable* password
resists an offline dictionary attack after a database leak. A client secret is 128 random
characters from a 62-symbol alphabet (about 760 bits): nobody can enumerate that space, so the
rounds buy no security and cost ~0.3 s of CPU on every token request that authenticates a client.
One keyed SHA-256 (HMAC with a per-secret random salt as the key) keeps what matters: the stored
value does not reveal the secret, identical secrets hash differently, and the comparison runs in
constant time.
"""

import hashlib
import hmac

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop as _


class ClientSecretHasher(BasePasswordHasher):
    """Salted HMAC-SHA256 for high-entropy machine secrets; never use it for people's passwords."""

    algorithm = "hmac_sha256_client_secret"

    def encode(self, password, salt):
        self._check_encode_args(password, salt)
        digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded):
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm  # noqa: S101 - Django's hashers assert the same way
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password, encoded):
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("salt"): mask_hash(decoded["salt"], show=2),
            _("hash"): mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded):
        return False

    def harden_runtime(self, password, encoded):
        # Nothing to even out: the cost of every verification is the same single HMAC.
        pass
