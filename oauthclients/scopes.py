"""Scope descriptions in the reader's language.

Descriptions are configured in English (``OAUTH2_PROVIDER["SCOPES"]``, this app's defaults in
``oauthclients.conf``), marked with ``gettext_noop`` so ``makemessages`` collects them, and looked
up in the translation catalogues only when a page shows them: the settings stay plain strings for
django-oauth-toolkit and the OpenAPI schema, and a project translates its own scopes' descriptions
in its own catalogue.
"""

from django.utils.translation import gettext
from oauth2_provider.scopes import get_scopes_backend


def describe(description: str) -> str:
    """One scope description in the active language (as configured when no catalogue has it)."""
    return gettext(str(description))


def scope_words() -> dict[str, str]:
    """Every scope the server knows, with its description in the active language."""
    return {
        name: describe(description) for name, description in get_scopes_backend().get_all_scopes().items()
    }
