"""The personal access tokens page: list, create (the token shown once), revoke."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from personaltokens import services
from personaltokens.forms import TokenCreateForm
from personaltokens.models import PersonalAccessToken

TEMPLATE = "personaltokens/token_list.html"


def _page(request, form, *, created=None, token=None, status=200):
    response = render(
        request,
        TEMPLATE,
        {
            "form": form,
            "tokens": PersonalAccessToken.objects.owned_by(request.user),
            "created": created,
            "token": token,
        },
        status=status,
    )
    if token is not None:
        response["Cache-Control"] = "no-store"  # the one page that shows the token: never cached
    return response


class TokenListPageView(LoginRequiredMixin, View):
    def get(self, request):
        return _page(request, TokenCreateForm())

    def post(self, request):
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            try:
                row, token = services.token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    lifetime_days=form.cleaned_data["lifetime_days"],
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(
                        None if field == "__all__" or field not in form.fields else field, problems
                    )
            else:
                return _page(request, TokenCreateForm(), created=row, token=token)
        return _page(request, form, status=400)


class TokenRevokePageView(LoginRequiredMixin, View):
    def post(self, request, pk):
        token = get_object_or_404(PersonalAccessToken.objects.owned_by(request.user), pk=pk)
        services.token_revoke(token=token)
        messages.success(
            request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name}
        )
        return redirect("personaltokens:tokens")
