import unicodedata

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from accounts.mail import mail_send

User = get_user_model()


class SignUpForm(forms.Form):
    """The sign-up fields; the account itself is created by ``accounts.services.user_create``."""

    username = forms.CharField(
        max_length=150,
        label=_("Username"),
        help_text=_("Letters, digits and @/./+/-/_ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    email = forms.EmailField(
        required=False,
        label=_("Email"),
        help_text=_("Optional; needed to reset a forgotten password."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords do not match."))
        return cleaned


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, which also reaches an active user with no password yet (signed up
    through a provider): the e-mailed link then sets their first password. Django leaves such
    users out because an unusable password can mean "disabled"; here inactive users are left out."""

    def get_users(self, email):
        field = User.get_email_field_name()
        wanted = unicodedata.normalize("NFKC", email).casefold()
        candidates = User._default_manager.filter(**{f"{field}__iexact": email, "is_active": True})
        return (
            user
            for user in candidates
            if unicodedata.normalize("NFKC", getattr(user, field)).casefold() == wanted
        )

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        """Django's documented hook: the reset link goes out like every other e-mail of the project
        (``accounts.mail``: ``registration/password_reset_email`` as text and HTML). A reset request
        writes nothing, so there is no commit to wait for."""
        mail_send(template="registration/password_reset_email", to=to_email, context=context)


class CodeForm(forms.Form):
    """The second step of a sign-in: a code from an authenticator app, or a recovery code."""

    token = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


class TotpConfirmForm(forms.Form):
    """Names a new authenticator app and proves it works with its current code."""

    name = forms.CharField(
        max_length=64,
        required=False,
        help_text="To tell your authenticators apart, e.g. “Phone”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    token = forms.CharField(
        label="Code from the app",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ReauthenticateForm(forms.Form):
    """Who asks for a sensitive change proves it again: the password, or a code (for an account
    signed up through a provider, which has no password)."""

    password = forms.CharField(
        label="Password or code",
        required=False,
        strip=False,
        help_text="You signed in a while ago: enter your password, or a code from your authenticator app.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
