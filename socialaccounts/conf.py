"""The socialaccounts app's own settings: ``settings.SOCIALACCOUNTS`` overrides these defaults."""

from django.conf import settings

DEFAULTS = {
    # Keys for the provider tokens kept at rest; the first encrypts, every one decrypts (rotation).
    "TOKEN_ENCRYPTION_KEYS": [],
    # Link a provider account to an existing user with the same e-mail address, only when the
    # provider asserts the address verified. Off: an e-mail match alone is an account takeover.
    "ASSOCIATE_BY_VERIFIED_EMAIL": False,
    # With it on, dotted path of a function ``(email) -> QuerySet of users`` whose VERIFIED local
    # address is ``email`` (the project verifies addresses by link). None: nothing is associated,
    # since an unverified local address is anyone's to type in at sign-up.
    "VERIFIED_EMAIL_USERS": None,
    # The backends the token exchange grant and POST /api/me/social-accounts accept, by name.
    # twitter-oauth2 is listed so its tokens are refused with the reason, not as an unknown issuer.
    "TOKEN_BACKENDS": ["github", "google-oauth2", "facebook", "oidc", "twitter", "twitter-oauth2"],
    # Back-channel logout (socialaccounts.backchannel): dotted path of a function
    # ``(*, user_id, where) -> int`` that ends the user's browser sessions whose data satisfies
    # ``where(data)`` through the project's session service, returning how many ended. None: a
    # valid logout token is accepted but no session can be found to end.
    "END_SESSIONS": None,
}


def get(name):
    """The value of one socialaccounts setting."""
    return getattr(settings, "SOCIALACCOUNTS", {}).get(name, DEFAULTS[name])
