"""The shared API policy's own settings: ``settings.BEERLOCKER_API`` overrides these defaults."""

from django.conf import settings

DEFAULTS = {
    # Hot lookups (the client by client_id, a token by checksum: beerlocker_api.compiled) run SQL
    # compiled once by Django's compiler. False runs each through the ORM's public path instead:
    # the same rows, a little more CPU per request; for a Django upgrade that changes the compiler.
    "COMPILED_LOOKUPS": True,
}


def get(name):
    """The value of one beerlocker_api setting."""
    return getattr(settings, "BEERLOCKER_API", {}).get(name, DEFAULTS[name])
