from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from personaltokens import conf, services


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What will use it, e.g. “backup script”.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The token can do only what these allow."),
    )
    lifetime_days = forms.TypedChoiceField(coerce=int, label=_("Expires after"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (name, f"{name}: {gettext(text)}") for name, text in services.scope_choices().items()
        ]
        lifetimes = conf.get("LIFETIME_DAYS")
        self.fields["lifetime_days"].choices = [
            (days, ngettext("%(days)d day", "%(days)d days", days) % {"days": days}) for days in lifetimes
        ]
        self.fields["lifetime_days"].initial = lifetimes[0]
