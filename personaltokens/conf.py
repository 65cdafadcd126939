"""The app's settings (``settings.PERSONAL_TOKENS`` overrides each), with their defaults."""

from django.conf import settings

DEFAULTS = {
    # The lifetimes a user may pick, in days; the first is preselected. No token lives forever.
    "LIFETIME_DAYS": [30, 7, 90, 365],
    # At most this many tokens per user (each is a standing door to the account).
    "MAX_PER_USER": 20,
    # ``last_used`` is written at most this often per token, not on every request.
    "LAST_USED_RESOLUTION_SECONDS": 60,
}


def get(name: str):
    return getattr(settings, "PERSONAL_TOKENS", {}).get(name, DEFAULTS[name])
