"""The shared API policy's own settings: ``settings.BEERLOCKER_API`` overrides these defaults."""

from django.conf import settings

DEFAULTS = {
    # Hot lookups (the client by client_id, a token by checksum: beerlocker_api.compiled) run SQL
    # compiled once by Django's compiler. False runs each through the ORM's public path instead:
    # the same rows, a little more CPU per request; for a Django upgrade that changes the compiler.
    "COMPILED_LOOKUPS": True,
    # The API's RFC 8707 resource identifier: what a client sends as ``resource`` for a token bound
    # to this API, and the ``resource`` of its RFC 9728 metadata. A path is on the request's origin
    # (``<scheme>://<host>/api/``); an absolute URI is taken as is (behind a proxy that renames it).
    "RESOURCE": "/api/",
    # True: a token bound to no resource is refused too (every token must name this API).
    # False: such a token keeps working, as before audience-bound tokens existed.
    "REQUIRE_AUDIENCE": False,
    # The metadata's human-readable ``resource_name``; empty: SPECTACULAR_SETTINGS["TITLE"], if any.
    "RESOURCE_NAME": "",
    # The metadata's ``resource_documentation``: a URL name (reversed) or an absolute URL; empty,
    # or a name that does not reverse, leaves the member out.
    "RESOURCE_DOCUMENTATION": "api-docs",
    # A dotted path to ``refusal(user) -> str | None``: why HTTP Basic (a password alone, with no way
    # to ask for more) must not sign this user in, or None. Empty: every password is enough.
    # Beer Locker names ``accounts.factors.password_only_refusal`` (users with a second factor).
    "PASSWORD_ONLY_REFUSAL": "",
    # DPoP proofs (RFC 9449, beerlocker_api.dpop), at the token endpoint and every protected
    # resource: the signature algorithms accepted (discovery's dpop_signing_alg_values_supported),
    # how old a proof may be (its iat) and how far ahead of our clock, and how long a server nonce
    # (DPoP-Nonce) stays fresh: this window and the previous one.
    "DPOP_SIGNING_ALGS": ("ES256", "ES384", "PS256", "RS256", "EdDSA"),
    "DPOP_PROOF_MAX_AGE_SECONDS": 60,
    # FAPI 2.0 Security Profile §5.3.2.1: a JWT up to 10 s ahead of our clock is accepted.
    "DPOP_PROOF_FUTURE_SECONDS": 10,
    "DPOP_NONCE_SECONDS": 300,
}


def get(name):
    """The value of one beerlocker_api setting."""
    return getattr(settings, "BEERLOCKER_API", {}).get(name, DEFAULTS[name])


# The guessing limits (beerlocker_api.limits, with django-axes installed), read as top-level
# settings of these names; docs/security.md gives the reasoning behind each default.
GUESSING_DEFAULTS = {
    "AXES_FAILURE_LIMIT": 10,  # failures from one address for one account: that pair locks
    "AXES_COOLOFF_TIME": 15 * 60,  # seconds the pair stays locked (or a timedelta)
    "GUESSING_ADDRESS_FAILURE_LIMIT": 100,  # failures from one address across accounts
    "GUESSING_ACCOUNT_DELAY_AFTER": 20,  # failures across addresses before the account waits
    "GUESSING_ACCOUNT_DELAY_SECONDS": 60,  # the first wait, doubling per further failure
    "GUESSING_ACCOUNT_DELAY_MAX_SECONDS": 15 * 60,  # the longest wait
    "GUESSING_ACCOUNT_MEMORY_SECONDS": 12 * 3600,  # how long failures across addresses count
    "GUESSING_DEVICE_COOKIE_NAME": "known_device",  # the signed cookie of a browser that signed in
    "GUESSING_DEVICE_COOKIE_AGE_SECONDS": 365 * 24 * 3600,
}


def guessing(name):
    """One guessing-limit setting: the project's, else its default above."""
    return getattr(settings, name, GUESSING_DEFAULTS[name])
