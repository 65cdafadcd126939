"""The OAuth 2.0 / OpenID Connect server on django-oauth-toolkit.

server.py     the oauthlib server (OAUTH2_SERVER_CLASS / OIDC_SERVER_CLASS): extra grants, S256 PKCE
validator.py  the request validator: client authentication and client policy on public hooks
codes.py      authorization codes: checksums, one-time exchange, replay revocation, pruning
views.py      authorize, token, revoke, introspect and discovery views
dcr.py        RFC 7591 / 7592 dynamic client registration
urls.py       the endpoints, under DOT's namespace
compat.py     every override of a private DOT / oauthlib name, with the version it was written for

OpenID Connect, beside the server:
authn.py                   auth_time, acr and max_age: how and when the user signed in
claims.py                  the one table of claims, the scope that releases each, never an empty one
authorization_requests.py  POSTed authorization requests; request objects declined
response_modes.py          query, fragment and form_post responses
oidc_features.py           what discovery and registration add to DOT's metadata
"""
