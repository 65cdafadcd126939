"""A client's own signing keys, and the JWTs a client library (authlib) signs with them:
private_key_jwt client assertions (RFC 7523) and request objects (RFC 9101)."""

import time
from dataclasses import dataclass, field

from authlib.oauth2.rfc7523 import private_key_jwt_sign
from joserfc import jwk as jose_jwk
from joserfc import jwt as jose_jwt
from jwcrypto import jwk

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_ENDPOINT = "http://testserver/api/oauth2/token"  # noqa: S105 - a URL
ISSUER = "http://testserver/api/oauth2"


@dataclass
class ClientKey:
    """A key pair the client holds; ``public_jwks`` is what it registers."""

    alg: str = "RS256"
    kid: str = "client-key-1"
    private: jwk.JWK = field(init=False)

    def __post_init__(self):
        if self.alg in ("RS256", "PS256"):
            self.private = jwk.JWK.generate(kty="RSA", size=2048, kid=self.kid)
        else:
            self.private = jwk.JWK.generate(kty="EC", crv="P-256", kid=self.kid)

    @property
    def public_jwk(self) -> dict:
        return {**self.private.export_public(as_dict=True), "use": "sig", "alg": self.alg}

    @property
    def private_jwk(self) -> dict:
        return self.private.export_private(as_dict=True)

    def assertion(self, client_id, *, audience=TOKEN_ENDPOINT, lifetime=60, **claims) -> str:
        """AddPrivateKeyJwtClientAuthToTokenEndpointRequest: iss=sub=client_id, aud, a jti, and
        exp a minute ahead (the suite's CreateClientAuthenticationAssertionClaims)."""
        now = int(time.time())
        if "iss" in claims or "sub" in claims:
            payload = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + lifetime}
            payload |= {"jti": f"jti-{time.time_ns()}"} | claims
            return self.sign(payload)
        return private_key_jwt_sign(
            self.private_jwk,
            client_id,
            audience,
            alg=self.alg,
            claims=claims or None,
            header={"alg": self.alg, "kid": self.kid},
            issued_at=now,
            expires_at=now + lifetime,
        )

    def sign(self, payload: dict, *, header=None) -> str:
        """Any JWT signed with this key (a request object, a crafted assertion)."""
        header = {"alg": self.alg, "kid": self.kid, **(header or {})}
        key = jose_jwk.import_key(self.private_jwk)
        return jose_jwt.encode(header, payload, key, algorithms=[header["alg"]])


def public_jwks(*keys: ClientKey) -> dict:
    return {"keys": [key.public_jwk for key in keys]}


def assertion_body(client_id, key: ClientKey, **claims) -> dict:
    """The token request's client authentication members."""
    return {"client_assertion_type": JWT_BEARER, "client_assertion": key.assertion(client_id, **claims)}
