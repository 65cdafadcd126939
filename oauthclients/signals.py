"""What oauthclients announces, for whoever keeps a record (the project's ``activity`` app); this
app imports none of them. Every signal is sent with ``sender=Client`` (the client model class) and
exactly the keywords listed here (``KeywordSignal``: another shape is a TypeError at the sender).

``client_registered(client)``, ``client_secret_rotated(client)``, ``client_deleted(client)``
    From the services, so the REST API, DCR, the portal, the admin and the command all send them;
    ``client_deleted`` gets the instance after deletion (its id, name and owner still set).
``consent_given(client, user, scopes)``
    The user pressed Allow on the consent page.
``access_revoked(client, user)``
    The user took an application's access back (authorized applications page).
``refresh_token_reuse_detected(client, user)``
    A revoked refresh token was presented; DOT revoked its whole family.
"""

from django.dispatch import Signal


class KeywordSignal(Signal):
    """A signal with one documented shape: it is sent with exactly the keywords it declares, so a
    sender with another shape fails at once (TypeError) instead of reaching receivers that read
    None. Receivers take those keywords by name (``def receiver(sender, *, client, **kwargs)``)."""

    def __init__(self, *keywords: str):
        super().__init__()
        self.keywords = frozenset(keywords)

    def _check(self, named: dict) -> None:
        if set(named) != self.keywords:
            raise TypeError(f"This signal is sent with exactly {sorted(self.keywords)}, not {sorted(named)}.")

    def send(self, sender, **named):
        self._check(named)
        return super().send(sender, **named)

    def send_robust(self, sender, **named):
        self._check(named)
        return super().send_robust(sender, **named)

    async def asend(self, sender, **named):
        self._check(named)
        return await super().asend(sender, **named)

    async def asend_robust(self, sender, **named):
        self._check(named)
        return await super().asend_robust(sender, **named)


client_registered = KeywordSignal("client")
client_secret_rotated = KeywordSignal("client")
client_deleted = KeywordSignal("client")
consent_given = KeywordSignal("client", "user", "scopes")
access_revoked = KeywordSignal("client", "user")
refresh_token_reuse_detected = KeywordSignal("client", "user")
