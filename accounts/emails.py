"""Which e-mail addresses are verified, and the signed links that verify them.

An address counts as verified only once its user followed a link signed for that very address
(``accounts.models.VerifiedEmail``). What trusts our addresses asks here: the OIDC
``email_verified`` claim and social sign-in's
association by e-mail, through the project's adapters (``beerlocker.adapters``).
"""

import unicodedata

from django.contrib.auth import get_user_model
from django.core import signing

from accounts.models import VerifiedEmail

# A link is good for three days; one signed for another address, or after a change, never is.
LINK_MAX_AGE_SECONDS = 3 * 24 * 3600
_SALT = "accounts.email-verification"


def _same(a: str, b: str) -> bool:
    return unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()


def email_verified(user) -> bool:
    """True when ``user``'s current address is the one they verified."""
    if not getattr(user, "email", ""):
        return False
    stored = VerifiedEmail.objects.filter(user_id=user.pk).values_list("email", flat=True).first()
    return stored is not None and _same(stored, user.email)


def users_with_verified_email(email: str):
    """The active users whose current, verified address is ``email``."""
    return get_user_model()._default_manager.filter(
        is_active=True, pk__in=VerifiedEmail.objects.of_address(email).values("user_id")
    )


def verification_token(user) -> str:
    """A signed, expiring token naming the user and the address it verifies."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=_SALT, compress=True)


def verification_claims(token: str) -> tuple[int, str]:
    """(user id, address) of a token signed here within ``LINK_MAX_AGE_SECONDS``; raises
    ``signing.BadSignature`` (``SignatureExpired`` when too old) otherwise."""
    data = signing.loads(token, salt=_SALT, max_age=LINK_MAX_AGE_SECONDS)
    return int(data["u"]), str(data["e"])
