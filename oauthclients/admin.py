from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import ngettext
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from oauthclients import services
from oauthclients.grants import SECRET_AUTH_METHODS
from oauthclients.metadata import ADMIN_FIELDS
from oauthclients.models import Client, LogoutDelivery
from oauthclients.oauth2.oidc import authn
from oauthclients.validation import SUPPORTED_GRANT_TYPES

_TOKEN_MODELS = (get_access_token_model(), get_refresh_token_model(), get_grant_model(), get_id_token_model())

# The form fields (model attributes) that hold each service argument (RFC 7591 name) it shows.
_FORM_FIELDS = {field.name: field.model_field for field in ADMIN_FIELDS}


class ClientAdminForm(forms.ModelForm):
    """The client's metadata, checked by the same rules as the API (``services.client_validate``)."""

    redirect_uris = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: https, http on localhost/127.0.0.1/[::1], or com.example.app:/path.",
    )
    grant_types = forms.MultipleChoiceField(
        choices=[(grant, grant) for grant in SUPPORTED_GRANT_TYPES],
        widget=forms.CheckboxSelectMultiple,
    )
    post_logout_redirect_uris = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Where RP-initiated logout may return the browser; one per line, as redirect URIs.",
    )
    default_acr_values = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Asked for when a request names no acr_values (voluntary); one per line, preferred first.",
    )
    minimum_acr = forms.ChoiceField(
        required=False,
        choices=[("", "Any sign-in"), *((acr, acr) for acr in authn.MINIMUM_ACR_VALUES)],
        help_text="Users must reach this level to sign in to this client (a second factor, or a passkey).",
    )

    class Meta:
        model = Client
        # The secret and its hash are never a field: rotate it with the action instead.
        fields = ["user", *_FORM_FIELDS.values(), "allow_introspection", "skip_authorization"]
        labels = {"name": "Client name", "user": "Owner", "skip_authorization": "First-party client"}
        help_texts = {
            "allow_introspection": "May call the token introspection endpoint (our resource servers only).",
            "skip_authorization": (
                "One of our own apps: no consent screen, may use token exchange and the first-party "
                "scopes (connecting sign-in methods). Never for a third party."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            metadata = self.instance.metadata()
            for field in ADMIN_FIELDS:
                if field.space_separated:
                    self.initial[field.model_field] = field.to_form(metadata[field.name])

    def service_arguments(self) -> dict:
        """The cleaned form as the services' arguments."""
        return {
            field.name: field.from_form(self.cleaned_data.get(field.model_field)) for field in ADMIN_FIELDS
        }

    def clean(self):
        cleaned_data = super().clean()
        # One URI per line in the form, one space-separated string in DOT's column.
        for field in ADMIN_FIELDS:
            if field.space_separated and cleaned_data.get(field.model_field) is not None:
                cleaned_data[field.model_field] = field.to_model(
                    field.from_form(cleaned_data[field.model_field])
                )
        # The metadata this form does not show (keys, request objects, display URIs) is kept.
        kept = self.instance.metadata() if self.instance.pk else {}
        try:
            services.client_validate(
                client=self.instance if self.instance.pk else None, **{**kept, **self.service_arguments()}
            )
        except ValidationError as error:
            for argument, messages in error.message_dict.items():
                # A field the form does not show: a problem with the form as a whole.
                self.add_error(_FORM_FIELDS.get(argument), messages)
        return cleaned_data


def _secret_page(request, clients_and_secrets, title):
    """A page that shows new secrets once: never stored, never in messages or cookies, never cached."""
    response = TemplateResponse(
        request,
        "oauthclients/admin/client_secrets.html",
        {**admin.site.each_context(request), "title": title, "rows": clients_and_secrets},
    )
    add_never_cache_headers(response)
    response["Cache-Control"] += ", no-store"
    return response


class ClientAdmin(admin.ModelAdmin):
    """The client admin (never shows a secret); DOT registers it (``APPLICATION_ADMIN_CLASS``)."""

    form = ClientAdminForm
    list_display = [
        "name",
        "client_id",
        "user",
        "registration_source",
        "grant_list",
        "redirect_list",
        "created",
    ]
    list_filter = [
        "token_endpoint_auth_method",
        "registration_source",
        "allow_introspection",
        "skip_authorization",
    ]
    list_select_related = ["user"]
    search_fields = ["name", "client_id", "user__username", "redirect_uris"]
    raw_id_fields = ["user"]
    readonly_fields = [
        "client_id",
        "client_type",
        "registration_source",
        "cimd_expires_at",
        "created",
        "updated",
    ]
    actions = ["rotate_secret", "revoke_tokens"]

    def has_change_permission(self, request, obj=None):
        # A client known by its metadata document is what the document says (fetched again when
        # due): shown, never edited here; it can be deleted, or its host denied (CIMD_DENIED_HOSTS).
        if obj is not None and obj.registration_source == Client.RegistrationSource.CIMD:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description="grant types")
    def grant_list(self, client):
        return ", ".join(client.grant_types)

    @admin.display(description="redirect URIs")
    def redirect_list(self, client):
        return ", ".join(client.redirect_uris.split())

    def save_model(self, request, obj, form, change):
        trust = {
            "allow_introspection": form.cleaned_data.get("allow_introspection", False),
            "first_party": form.cleaned_data.get("skip_authorization", False),
        }
        if change:
            services.client_update(client=obj, **form.service_arguments())
            services.client_set_trust(client=obj, **trust)
            return
        client, raw_secret = services.client_create(
            owner=form.cleaned_data["user"], **form.service_arguments()
        )
        services.client_set_trust(client=client, **trust)
        # The admin goes on with the object it built; make it the saved client.
        obj.pk = client.pk
        obj.refresh_from_db()
        obj._state.adding = False
        # Kept on this request only, for response_add to show once.
        request._new_client_secret = raw_secret

    def response_add(self, request, obj, post_url_continue=None):
        raw_secret = getattr(request, "_new_client_secret", None)
        if raw_secret is None:
            return super().response_add(request, obj, post_url_continue)
        return _secret_page(request, [(obj, raw_secret)], "Client added: copy its secret now")

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # DOT's token admins refuse deletes to steer staff towards revocation, which would block
        # deleting any client that has tokens; deleting a client is meant to take its tokens along.
        perms_needed -= {str(model._meta.verbose_name) for model in _TOKEN_MODELS}
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        services.client_delete(client=obj)

    def delete_queryset(self, request, queryset):
        for client in queryset:
            services.client_delete(client=client)

    @admin.action(description="Rotate secret")
    def rotate_secret(self, request, queryset):
        rows = []
        # Public and private_key_jwt clients hold no secret of ours.
        with_secret = queryset.filter(
            client_type=Client.CLIENT_CONFIDENTIAL, token_endpoint_auth_method__in=SECRET_AUTH_METHODS
        )
        for client in with_secret.order_by("name"):
            rows.append((client, services.client_rotate_secret(client=client)))
        skipped = queryset.count() - len(rows)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%d client has no secret (public, or authenticates with its keys) and was skipped.",
                    "%d clients have no secret (public, or authenticate with their keys) and were skipped.",
                    skipped,
                )
                % skipped,
            )
        if not rows:
            return None
        for client, _secret in rows:
            self.log_change(request, client, "Rotated the client secret.")
        return _secret_page(request, rows, "New client secrets: copy them now")

    @admin.action(description="Revoke all tokens")
    def revoke_tokens(self, request, queryset):
        revoked = sum(services.client_revoke_tokens(client=client) for client in queryset)
        self.message_user(
            request,
            ngettext("Revoked %d token.", "Revoked %d tokens.", revoked) % revoked,
        )


@admin.register(LogoutDelivery)
class LogoutDeliveryAdmin(admin.ModelAdmin):
    """Back-channel logout deliveries and how each went, read-only (``logoutworker`` writes them)."""

    list_display = [
        "client",
        "sub",
        "status",
        "attempts",
        "last_outcome",
        "created",
        "delivered",
        "next_attempt",
    ]
    list_filter = ["status", "created"]
    search_fields = ["client__name", "client__client_id", "sub"]
    list_select_related = ["client"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
