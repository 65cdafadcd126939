"""The OAuth 2.0 / OpenID Connect server on django-oauth-toolkit, grouped by concern.

Package map (tests/oauthclients/test_package_map.py holds it to the tree: one line per module):

server.py                            the oauthlib server (OAUTH2_SERVER_CLASS / OIDC_SERVER_CLASS): extra grants, PKCE
validator.py                         the request validator: each client's registration and our rules, on public hooks
compat.py                            every override of a private DOT / oauthlib name, with the version it targets
urls.py                              the endpoints, under DOT's namespace
profiles.py                          the FAPI 2.0 Security Profile at run time (a client's profile, or server-wide)

endpoints/                           the views, one module per endpoint (as DOT's views/)
endpoints/base.py                    RFC 6749 error JSON; the client endpoints' no-store and Basic challenge
endpoints/authorize.py               the authorization endpoint: consent, prompt, max_age, id_token_hint, iss
endpoints/authorization_requests.py  POSTed authorization requests; request objects declined when switched off
endpoints/token.py                   the token and revocation endpoints
endpoints/par.py                     RFC 9126 pushed authorization requests, and their request_uri at authorize
endpoints/device.py                  RFC 8628 device authorization, and the page where the user enters the code
endpoints/introspection.py           RFC 7662 introspection for resource servers
endpoints/discovery.py               RFC 8414 metadata and OpenID Connect discovery: only what the server allows; JWKS
endpoints/registration.py            RFC 7591 / 7592 dynamic client registration

clientauth/                          who the client is
clientauth/authenticate.py           the registered method: client_secret_basic, _post or private_key_jwt
clientauth/assertions.py             private_key_jwt client assertions (RFC 7523), single use
clientauth/client_keys.py            a client's registered keys (jwks, jwks_uri) and verifying the JWTs it signs
clientauth/cimd.py                  clients known by the URL of their metadata document (CIMD), fetched and kept

tokens/                              what the server issues and spends
tokens/codes.py                      authorization codes: checksums, one-time exchange, replay revocation
tokens/devices.py                    device and user codes (RFC 8628): checksums, polling pace, one-time exchange
tokens/rotation.py                   refresh token rotation that holds under concurrency
tokens/audience.py                   RFC 8707 resource indicators: the server's resources, invalid_target
tokens/jwt_access.py                 RFC 9068 JWT access tokens: which tokens, their claims and key, revocation marks
tokens/pushed_requests.py            RFC 9126 request_uri values: hashed, short-lived, bound to a client, spent once
tokens/dpop.py                       RFC 9449 DPoP at the token endpoint: tokens and codes bound to a key

oidc/                                OpenID Connect beside the OAuth server
oidc/authn.py                        auth_time, acr and max_age: how and when the user signed in
oidc/claims.py                       the one table of claims and the scope that releases each
oidc/features.py                     what discovery and registration add to DOT's metadata
oidc/request_objects.py              request objects by value and by reference (RFC 9101)
oidc/response_modes.py               query, fragment and form_post responses
oidc/userinfo.py                     signed userinfo responses

logout/                              ending sessions at the clients
logout/rp_initiated.py               RP-Initiated Logout 1.0 on DOT's view
logout/backchannel.py                Back-Channel Logout 1.0: logout tokens, the outbox and their delivery

The server's own signing keys (RS256/PS256 and ES256, rotation, the JWKS, ``sign_jwt``) are in
``oauthclients.keys``.
"""
