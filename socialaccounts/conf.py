"""The socialaccounts app's own settings: ``settings.SOCIALACCOUNTS`` overrides these defaults."""

from django.conf import settings

DEFAULTS = {
    # Keys for the provider tokens kept at rest; the first encrypts, every one decrypts (rotation).
    "TOKEN_ENCRYPTION_KEYS": [],
    # Link a provider account to an existing user with the same e-mail address, only when the
    # provider asserts the address verified and the project verified the local one (the adapter's
    # users_with_verified_email). Off: an e-mail match alone is an account takeover.
    "ASSOCIATE_BY_VERIFIED_EMAIL": False,
    # The backends the token exchange grant and POST /api/me/social-accounts accept, by name.
    # twitter-oauth2 is listed so its tokens are refused with the reason, not as an unknown issuer.
    "TOKEN_BACKENDS": ["github", "google-oauth2", "facebook", "oidc", "twitter", "twitter-oauth2"],
    # The project's side of the app (socialaccounts.adapter): how a provider's back-channel
    # logout ends the project's browser sessions.
    "ADAPTER": "socialaccounts.adapter.SocialAccountsAdapter",
    # A token (ID token, logout token) naming a key the cached provider JWKS lacks makes us fetch
    # the JWKS again at most once per this many seconds per provider (a key rotation is found
    # within it; a stream of forged tokens cannot make us fetch on each).
    "JWKS_REFETCH_COOLDOWN_SECONDS": 60,
}

# Keys that were replaced by an adapter method (a system check names the method to override).
REPLACED_BY_ADAPTER = {"END_SESSIONS": "end_sessions(*, user_id, where)"}


def get(name):
    """The value of one socialaccounts setting."""
    return getattr(settings, "SOCIALACCOUNTS", {}).get(name, DEFAULTS[name])
