"""Web pages about OAuth clients: the applications a user let in, and the ones they registered."""

import secrets

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DeleteView, DetailView, FormView, ListView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from oauthclients import authorizations, services
from oauthclients.forms import ClientForm
from oauthclients.grants import AUTHORIZATION_CODE, REFRESH_TOKEN
from oauthclients.models import Client


class AuthorizedAppListPageView(LoginRequiredMixin, TemplateView):
    """Each application with access to the signed-in user's account: its scopes, since when, last used."""

    template_name = "oauthclients/authorized_list.html"

    def get_context_data(self, **kwargs):
        found = authorizations.authorizations_for(self.request.user)
        return super().get_context_data(authorizations=found, **kwargs)


class AuthorizedAppRevokePageView(LoginRequiredMixin, View):
    """POST only: every token of that application for this user is gone; an app without access is a 404."""

    http_method_names = ["post"]

    def post(self, request, pk):
        client = get_object_or_404(authorizations.authorized_clients(request.user), pk=pk)
        authorizations.authorization_revoke(user=request.user, client=client)
        messages.success(request, _("%(name)s can no longer use your account.") % {"name": client.name})
        return redirect("oauthclients-web:authorized-list")


class OwnClientsMixin(LoginRequiredMixin):
    """Every developer page starts from the signed-in user's clients: another user's is a 404."""

    slug_field = slug_url_kwarg = "client_id"
    context_object_name: str | None = "client"

    def get_queryset(self):
        return Client.objects.owned_by(self.request.user).order_by("-created", "-id")


# A form whose answer shows a new secret carries a one-time token, so that reloading that answer
# (the browser re-sends the POST) neither registers a second client nor rotates the secret the
# user just copied. The secret itself is never kept anywhere to show again.
_SUBMISSIONS = "oauthclients.secret_form_submissions"


def issue_submission(request) -> str:
    """A fresh one-time token for a form that shows a secret (the last 20 are kept per session)."""
    token = secrets.token_urlsafe(16)
    request.session[_SUBMISSIONS] = [*request.session.get(_SUBMISSIONS, [])[-19:], token]
    return token


def spend_submission(request) -> bool:
    """True once per issued token; False for a replayed or forged one."""
    token = request.POST.get("submission", "")
    issued = request.session.get(_SUBMISSIONS, [])
    if token not in issued:
        return False
    issued.remove(token)
    request.session[_SUBMISSIONS] = issued
    return True


def already_submitted(request, client=None):
    messages.info(
        request,
        _(
            "That form was already sent, and a secret is shown only once. "
            "If you did not copy it, rotate the secret."
        ),
    )
    if client is None:
        return redirect("oauthclients-web:client-list")
    return redirect("oauthclients-web:client-detail", client_id=client.client_id)


def secret_page(request, client, raw_secret, *, created):
    """The one page that ever shows a client secret; no cache may keep it."""
    context = {"client": client, "client_secret": raw_secret, "created": created}
    response = TemplateResponse(request, "oauthclients/client_secret.html", context)
    add_never_cache_headers(response)
    return response


class ClientListPageView(OwnClientsMixin, ListView):
    """The applications the signed-in user registered."""

    template_name = "oauthclients/client_list.html"
    context_object_name = "clients"


class ClientCreatePageView(LoginRequiredMixin, FormView):
    """Registers a client through ``client_create`` (the REST API's rules); shows its secret this once."""

    template_name = "oauthclients/client_form.html"
    form_class = ClientForm
    initial = {
        "token_endpoint_auth_method": Client.AuthMethod.CLIENT_SECRET_BASIC,
        "grant_types": [AUTHORIZATION_CODE, REFRESH_TOKEN],
    }

    def get_context_data(self, **kwargs):
        return super().get_context_data(submission=issue_submission(self.request), **kwargs)

    def post(self, request, *args, **kwargs):
        if not spend_submission(request):
            return already_submitted(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            client, raw_secret = services.client_create(owner=self.request.user, **form.service_fields())
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        if raw_secret is None:
            messages.success(
                self.request,
                _("Registered %(name)s, a public client: it has no secret.") % {"name": client.name},
            )
            return redirect("oauthclients-web:client-detail", client_id=client.client_id)
        return secret_page(self.request, client, raw_secret, created=True)


class ClientDetailPageView(OwnClientsMixin, DetailView):
    """One of the signed-in user's clients: its client_id and registration, never its secret."""

    template_name = "oauthclients/client_detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(submission=issue_submission(self.request), **kwargs)


class ClientUpdatePageView(OwnClientsMixin, SingleObjectMixin, FormView):
    """Changes a client through ``client_update``; rejected changes leave it as it was."""

    template_name = "oauthclients/client_form.html"
    form_class = ClientForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return ClientForm.initial_for(self.object)

    def form_valid(self, form):
        try:
            services.client_update(client=self.object, **form.service_fields())
        except ValidationError as error:
            self.object.refresh_from_db()  # the service may have set fields before refusing them
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved %(name)s.") % {"name": self.object.name})
        return redirect("oauthclients-web:client-detail", client_id=self.object.client_id)


class ClientRotatePageView(OwnClientsMixin, SingleObjectMixin, View):
    """POST only: a confidential client gets a new secret, shown once; the old one stops working."""

    http_method_names = ["post"]

    def post(self, request, client_id):
        client = self.get_object()
        if not spend_submission(request):
            return already_submitted(request, client)
        try:
            raw_secret = services.client_rotate_secret(client=client)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("oauthclients-web:client-detail", client_id=client.client_id)
        return secret_page(request, client, raw_secret, created=False)


class ClientDeletePageView(OwnClientsMixin, DeleteView):
    """Asks for confirmation, then deletes the client with every token and code it was given."""

    template_name = "oauthclients/client_confirm_delete.html"
    success_url = reverse_lazy("oauthclients-web:client-list")

    def form_valid(self, form):
        services.client_delete(client=self.object)
        messages.success(self.request, _("Deleted %(name)s.") % {"name": self.object.name})
        return redirect(self.success_url)
