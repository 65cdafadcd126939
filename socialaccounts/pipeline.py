"""Our steps in the social-auth pipeline (SOCIAL_AUTH_PIPELINE in settings)."""

from social_core.exceptions import AuthAssociationError

from socialaccounts import conf, signals
from socialaccounts.adapter import get_adapter
from socialaccounts.backends import SAME_ACCOUNT_AS
from socialaccounts.models import SocialAccount


def associate_same_account(backend, uid, user=None, social=None, *args, **kwargs):
    """Sign in (or connect) as the user who linked this very account through the provider's other protocol.

    X's OAuth 2.0 and OAuth 1.0a backends name one X account by one user id: without this, web
    sign-in (OAuth 2.0) and an app's token exchange (OAuth 1.0a) would make two local users.
    """
    if social is not None:
        return None
    storage = backend.strategy.storage.user
    for provider in SAME_ACCOUNT_AS.get(backend.name, ()):
        sibling = storage.get_social_auth(provider, str(uid))
        if sibling is None:
            continue
        if user and sibling.user != user:
            raise AuthAssociationError(backend, code="identity_in_use", stage="pipeline")
        return {"user": sibling.user, "is_new": False}
    return None


def associate_by_verified_email(backend, details, response, user=None, *args, **kwargs):
    """Link to the one existing user with this e-mail, only if we allow it, the provider verified
    the address, and the project verified the local user's address too (the adapter's
    ``users_with_verified_email``): otherwise whoever signed up locally with someone else's
    address would receive that person's provider sign-in."""
    if user or not conf.get("ASSOCIATE_BY_VERIFIED_EMAIL"):
        return None
    if not backend.email_is_verified(details, response):
        return None
    users = list(get_adapter().users_with_verified_email(details["email"])[:2])
    if len(users) != 1:
        return None
    return {"user": users[0], "is_new": False}


def store_profile(backend, details, social, *args, **kwargs):
    """Keep the provider's non-secret profile (username, e-mail, name) with the linked account."""
    social.extra_data["profile"] = {
        "username": details.get("username") or "",
        "email": details.get("email") or "",
        "name": details.get("fullname") or "",
    }
    social.save(update_fields=["extra_data", "modified"])


def announce_new_link(backend, social, user, new_association=False, is_new=False, *args, **kwargs):
    """Send ``account_linked`` when this sign-in or connect linked a provider account to a user."""
    if new_association:
        signals.account_linked.send(sender=SocialAccount, account=social, user=user, new_user=bool(is_new))
