"""Web pages about OAuth clients: the applications a user let in (and, later, the ones they registered)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from oauthclients import authorizations


class AuthorizedAppListPageView(LoginRequiredMixin, TemplateView):
    """Each application with access to the signed-in user's account: its scopes, since when, last used."""

    template_name = "oauthclients/authorized_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            authorizations=authorizations.authorizations_for(self.request.user), **kwargs
        )


class AuthorizedAppRevokePageView(LoginRequiredMixin, View):
    """POST only: every token of that application for this user is gone; an app without access is a 404."""

    http_method_names = ["post"]

    def post(self, request, pk):
        client = get_object_or_404(authorizations.authorized_clients(request.user), pk=pk)
        authorizations.authorization_revoke(user=request.user, client=client)
        messages.success(request, f"{client.name} can no longer use your account.")
        return redirect("oauthclients-web:authorized-list")
