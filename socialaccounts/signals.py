"""What socialaccounts announces (the project's ``activity`` app listens; this app imports none).
Each is sent with exactly the keywords listed (``beerlocker_api.signals.KeywordSignal``).

``account_linked(sender=SocialAccount, account, user, new_user)``
    A provider account was linked to ``user`` (on sign-in, connect or token exchange);
    ``new_user`` when the link created the Beer Locker account too.
``account_unlinked(sender=SocialAccount, account, user)``
    The user disconnected it (``account`` is the deleted instance).
"""

from beerlocker_api.signals import KeywordSignal

account_linked = KeywordSignal("account", "user", "new_user")
account_unlinked = KeywordSignal("account", "user")
