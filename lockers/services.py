"""Every write to a locker goes through here: the API, the pages and commands share it.

A locker's cached count follows every beer saved or deleted by itself (``lockers.caching``).
"""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lockers.models import Beer

if TYPE_CHECKING:
    # What mypy resolves AUTH_USER_MODEL to under tests.settings; at run time any user model.
    from django.contrib.auth.models import User


@transaction.atomic
def beer_create(*, owner: "User", name: str, type: str = "", quantity: int = 1) -> Beer:  # noqa: A002
    """Add a beer to ``owner``'s locker."""
    beer = Beer(owner=owner, name=name, type=type, quantity=quantity)
    beer.full_clean()
    beer.save()
    return beer


@transaction.atomic
def beer_update(*, beer: Beer, **fields) -> Beer:
    """Change the given fields of a beer; the owner never changes."""
    for name, value in fields.items():
        if name not in {"name", "type", "quantity"}:
            raise TypeError(f"beer_update() got an unexpected field {name!r}")
        setattr(beer, name, value)
    beer.full_clean()
    beer.save()
    return beer


@transaction.atomic
def beer_delete(*, beer: Beer) -> None:
    """Remove a beer from its locker."""
    beer.delete()


@transaction.atomic
def beer_drink(*, beer: Beer) -> Beer:
    """Take one bottle out of a beer's locker; refused (nothing written) when none is left.

    The beer stays in the locker at 0, as the API and the pages let it be, so its owner can restock
    it: drinking never deletes anything. The row is locked so two drinks at once take two bottles.
    """
    beer = Beer.objects.select_for_update().get(pk=beer.pk)
    if beer.quantity == 0:
        raise ValidationError(
            {"quantity": _("No bottles of %(name)s are left.") % {"name": beer.name}}, code="empty"
        )
    beer.quantity -= 1
    beer.full_clean()
    beer.save(update_fields=["quantity", "updated"])
    return beer
