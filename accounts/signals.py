"""Signals accounts sends: the documented hooks for what must follow a session's end or a new password.

Each has one shape: it is sent with exactly the keywords below (``KeywordSignal``; any other shape
is a TypeError at the sender), and receivers take them by name.

``session_ended(sender=UserSession, session, by, actor)``
    Sent by ``accounts.services.session_end`` (and so by every way a session ends: signing out,
    "sign out" on the sessions page or API, "sign out everywhere else", an administrator, a password
    change or reset, deleting the account, signing in as another account in that browser) after
    the session's row and cached copy are gone, inside the service's transaction, so a receiver's
    own writes (e.g. a back-channel logout outbox row) commit or roll back with it.
    ``session`` is the deleted ``UserSession`` (its ``public_id`` is the OIDC ``sid``,
    ``user_id`` who was signed in); ``by`` an ``EndedBy`` value; ``actor`` the user who ended it (the
    user, an administrator) or None. oauthclients' back-channel logout listens to it (the project's
    adapter, ``beerlocker.adapters``, names it) and reads ``session.user_id`` and ``session.public_id``.

``password_changed(sender=User, user, how, admin)``
    Sent by ``accounts.services.user_password_changed`` after a password change (``how="change"``),
    reset (``how="reset"``) or reset by an administrator (``how="admin"``: the admin's password
    form or ``manage.py changepassword``; ``admin`` is that administrator, None for the command)
    and after the user's other sessions were ended.

``email_changed(sender=User, user, old_email)``
    Sent by ``accounts.services.user_update`` after the address changed (``user.email`` is the
    new one), inside its transaction.

``email_verified(sender=User, user)``
    Sent by ``accounts.services.email_verify`` once the user followed the link for their address.

``second_factor_added(sender=User, user, kind, name)``
    Sent by ``accounts.services.totp_device_confirm`` (an authenticator app, once its first code
    was right) and ``recovery_codes_generate`` (the first set; ``kind`` "recovery_codes").

``second_factor_removed(sender=User, user, kind, name, reset, admin)``
    Sent by ``accounts.services.second_factor_remove`` (the user; ``reset`` False) and
    ``second_factors_reset`` (an administrator's reset: ``reset`` True, ``admin`` who, None for
    the ``resetsecondfactors`` command run on the server).

``recovery_codes_generated(sender=User, user, count)`` / ``recovery_code_used(sender=User, user, remaining)``
    Sent when a new set replaces the old one, and when one code was spent signing in.
"""

from beerlocker_api.signals import KeywordSignal

session_ended = KeywordSignal("session", "by", "actor")
password_changed = KeywordSignal("user", "how", "admin")
email_changed = KeywordSignal("user", "old_email")
email_verified = KeywordSignal("user")
second_factor_added = KeywordSignal("user", "kind", "name")
second_factor_removed = KeywordSignal("user", "kind", "name", "reset", "admin")
recovery_codes_generated = KeywordSignal("user", "count")
recovery_code_used = KeywordSignal("user", "remaining")

# ``passkey_added(sender=WebAuthnCredential, user, passkey)``: sent by ``accounts.passkeys`` when a
# registration ceremony kept a new passkey, inside its transaction. ``passkey_removed(sender=
# WebAuthnCredential, user, passkey)``: after ``passkey_delete`` removed it (``passkey.name`` kept).
passkey_added = KeywordSignal("user", "passkey")
passkey_removed = KeywordSignal("user", "passkey")
