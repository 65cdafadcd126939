from django import forms

from lockers.models import Beer


class BeerForm(forms.ModelForm):
    """The fields a user edits on a beer; saving goes through ``lockers.services``."""

    class Meta:
        model = Beer
        fields = ["name", "type", "quantity"]
        widgets = {"quantity": forms.NumberInput(attrs={"min": 0})}
