"""What a project tells socialaccounts, in one class it subclasses (allauth's ``get_adapter()``).

A project overrides the methods it cares about and names its subclass in
``SOCIALACCOUNTS["ADAPTER"]``; every method has a safe default.

.. code-block:: python

    # myproject/adapters.py
    class MySocialAccountsAdapter(SocialAccountsAdapter):
        def end_sessions(self, *, user_id, where):
            ...  # end them through the project's own session service

    # settings.py
    SOCIALACCOUNTS = {"ADAPTER": "myproject.adapters.MySocialAccountsAdapter", ...}
"""

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

from socialaccounts import conf

# ``where(session_data)``: whether a browser session (its decoded data) is one the provider ended.
SessionPredicate = Callable[[dict], bool]


class SocialAccountsAdapter:
    """The project's side of socialaccounts. Subclass it and override a method to change one thing."""

    def end_sessions(self, *, user_id: Any, where: SessionPredicate) -> int:
        """End the live browser sessions of user ``user_id`` whose decoded data satisfies
        ``where(data)``, returning how many ended. Called inside a transaction by
        ``socialaccounts.backchannel.provider_logout`` when an OpenID provider's logout token
        arrives; the sessions to end are the ones ``remember_provider_session`` marked at sign-in.

        Default: 0, nothing ended (the token is still accepted and its records deleted): this app
        does not own the project's sessions. Override it to end them through the project's session
        service, so that whatever follows a session's end (an activity log, our own back-channel
        logout to our clients) follows this one too."""
        return 0

    def users_with_verified_email(self, email: str):
        """The local users whose address is ``email`` AND was verified by the project, for
        ``ASSOCIATE_BY_VERIFIED_EMAIL`` (a QuerySet). An unverified local address is anyone's to
        type in at sign-up, so matching it would hand a person's provider sign-in to whoever did.

        Default: none (nothing is ever associated by e-mail). Override it when the project
        verifies addresses."""
        from django.contrib.auth import get_user_model

        return get_user_model()._default_manager.none()

    def token_exchange_allowed(self, user) -> tuple[bool, str]:
        """Whether token exchange may issue our tokens for ``user``, whom a provider's token named:
        ``(allowed, error_description)``; a refusal is an ``invalid_grant`` error carrying the
        description. Override it for accounts that need more than the provider's word (a second
        factor, which the token endpoint cannot ask for).

        Default: ``(True, "")``."""
        return True, ""


def get_adapter() -> SocialAccountsAdapter:
    """An instance of the adapter ``SOCIALACCOUNTS["ADAPTER"]`` names (default ``SocialAccountsAdapter``)."""
    return import_string(conf.get("ADAPTER"))()
