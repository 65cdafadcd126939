"""Signed userinfo responses (OIDC Core §5.3.2): a client that registered
``userinfo_signed_response_alg`` gets its claims as a JWT signed with the server's OpenID Connect
key (the one that signs ID tokens, published at the JWKS endpoint), with ``iss`` and ``aud``
added. oauthlib's userinfo endpoint answers a string from ``get_userinfo_claims`` as
``application/jwt``: that is the public hook this uses.
"""

import json

from jwcrypto import jwt
from oauth2_provider.settings import oauth2_settings


def signed_userinfo(claims: dict, request) -> dict | str:
    """``claims`` as the client registered them: the dict (plain JSON), or a signed JWT."""
    client = request.client
    alg = getattr(client, "userinfo_signed_response_alg", "")
    if not alg:
        return claims
    key = client.jwk_key  # DOT's: the server's RSA key for RS256 clients
    payload = {**claims, "iss": oauth2_settings.oidc_issuer(request), "aud": client.client_id}
    token = jwt.JWT(header=json.dumps({"alg": alg, "kid": key.thumbprint()}), claims=json.dumps(payload))
    token.make_signed_token(key)
    return token.serialize()
