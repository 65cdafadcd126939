from django import forms

from personaltokens import conf, services


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “backup script”.")
    scopes = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, help_text="The token can do only what these allow."
    )
    lifetime_days = forms.TypedChoiceField(coerce=int, label="Expires after")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (name, f"{name}: {text}") for name, text in services.scope_choices().items()
        ]
        lifetimes = conf.get("LIFETIME_DAYS")
        self.fields["lifetime_days"].choices = [(days, f"{days} days") for days in lifetimes]
        self.fields["lifetime_days"].initial = lifetimes[0]
