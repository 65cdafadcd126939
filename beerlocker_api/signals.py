"""Signals every API (and page) of the project may send, and ``KeywordSignal``: the one-shape
signal class every app's cross-app signals use (here, so no app imports another for it).

``rate_limited(sender, request, scope)``
    A request was refused for its rate (a DRF throttle, the sign-up page's limit); ``scope`` is
    the limit's name, ``request`` the refused request.
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


rate_limited = Signal()
