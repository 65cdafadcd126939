"""A software authenticator for server-side passkey tests: a real P-256 key pair whose responses
are built and signed the way an authenticator and browser build them (WebAuthn L3 §6.1, §6.5),
so the server's verification (py_webauthn) runs for real. Its knobs make the responses a bad
browser or a phishing page would send: another origin, another challenge, an old sign count.

The browser journeys use Chromium's own virtual authenticator instead (tests/browser).
"""

import base64
import hashlib
import json
import secrets
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "http://testserver"  # Django's test client
RP_ID = "testserver"

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftAuthenticator:
    """One discoverable credential, created by ``create`` and used by ``get``."""

    def __init__(self, *, synced: bool = False):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.sign_count = 0
        self.synced = synced
        self.user_handle: str | None = None

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )

    def _authenticator_data(self, *, rp_id: str, attested: bool) -> bytes:
        flags = UP | UV | (BE | BS if self.synced else 0) | (AT if attested else 0)
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.sign_count)
        if attested:
            cred = self.credential_id
            data += bytes(16) + struct.pack(">H", len(cred)) + cred + self._cose_key()
        return data

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict, *, origin: str = ORIGIN, challenge: str | None = None) -> dict:
        """The registration response (``PublicKeyCredential.toJSON()``) to creation ``options``."""
        self.user_handle = options["user"]["id"]
        client_data = self._client_data("webauthn.create", challenge or options["challenge"], origin)
        attestation = cbor2.dumps(
            {
                "fmt": "none",
                "attStmt": {},
                "authData": self._authenticator_data(rp_id=options["rp"]["id"], attested=True),
            }
        )
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": True}},
        }

    def get(
        self, options: dict, *, origin: str = ORIGIN, challenge: str | None = None, count: bool = True
    ) -> dict:
        """The assertion (``PublicKeyCredential.toJSON()``) answering request ``options``; each one
        counts up the signature counter unless ``count`` is False (a cloned authenticator)."""
        if count:
            self.sign_count += 1
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        data = self._authenticator_data(rp_id=options.get("rpId", RP_ID), attested=False)
        signature = self.key.sign(data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(data),
                "signature": b64url(signature),
                "userHandle": self.user_handle,
            },
            "clientExtensionResults": {},
        }
