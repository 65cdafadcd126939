from django import forms
from django.utils.translation import gettext_lazy as _

from lockers.models import Beer


class BeerForm(forms.ModelForm):
    """The fields a user edits on a beer; saving goes through ``lockers.services``."""

    class Meta:
        model = Beer
        fields = ["name", "type", "quantity"]
        widgets = {"quantity": forms.NumberInput(attrs={"min": 0})}
        # Labels here rather than verbose_name on the model: the same words, no migration.
        labels = {"name": _("Name"), "type": _("Type"), "quantity": _("Quantity")}
