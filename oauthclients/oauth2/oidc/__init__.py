"""OpenID Connect beside the OAuth server."""
