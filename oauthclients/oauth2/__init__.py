"""The OAuth 2.0 / OpenID Connect server on django-oauth-toolkit.

server.py     the oauthlib server (OAUTH2_SERVER_CLASS / OIDC_SERVER_CLASS): extra grants, S256 PKCE
validator.py  the request validator: client authentication and client policy on public hooks
codes.py      authorization codes: checksums, one-time exchange, replay revocation, pruning
views.py      authorize, token, revoke, introspect and discovery views
dcr.py        RFC 7591 / 7592 dynamic client registration
urls.py       the endpoints, under DOT's namespace
compat.py     every override of a private DOT / oauthlib name, with the version it was written for
"""
