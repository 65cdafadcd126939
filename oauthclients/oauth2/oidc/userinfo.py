"""Signed userinfo responses (OIDC Core §5.3.2): a client that registered
``userinfo_signed_response_alg`` (RS256, PS256 or ES256) gets its claims as a JWT signed with the
server's key for that algorithm (oauthclients.keys, published at the JWKS endpoint), with ``iss``
and ``aud`` added. oauthlib's userinfo endpoint answers a string from ``get_userinfo_claims`` as
``application/jwt``: that is the public hook this uses.
"""

from oauth2_provider.settings import oauth2_settings

from oauthclients.keys import sign_jwt
from oauthclients.oauth2 import profiles


def signed_userinfo(claims: dict, request) -> dict | str:
    """``claims`` as the client registered them: the dict (plain JSON), or a signed JWT."""
    client = request.client
    alg = profiles.response_signing_alg(client, getattr(client, "userinfo_signed_response_alg", ""))
    if not alg:
        return claims
    payload = {**claims, "iss": oauth2_settings.oidc_issuer(request), "aud": client.client_id}
    return sign_jwt(payload, alg=alg)
