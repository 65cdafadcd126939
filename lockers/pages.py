"""The "My locker" web pages: the same owner-scoped reads and services as the API."""

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, DeleteView, ListView, UpdateView

from lockers import conf, services
from lockers.forms import BeerForm
from lockers.models import Beer

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class OwnBeersMixin(LoginRequiredMixin):
    """Every page starts from the signed-in user's beers: another user's beer is a 404."""

    success_url: "StrOrPromise | None" = reverse_lazy("lockers-web:beer-list")

    def get_queryset(self):
        return Beer.objects.owned_by(self.request.user)


class BeerListPageView(OwnBeersMixin, ListView):
    """The signed-in user's beers, newest first, 20 to a page."""

    template_name = "lockers/beer_list.html"
    context_object_name = "beers"

    def get_paginate_by(self, queryset):
        return conf.get("PAGE_SIZE")


class _ServiceFormMixin:
    """Saves through the view's ``save()`` (a service), never ``form.save()``."""

    # The ModelForm already ran the model's validation, the same full_clean() the service runs.
    def form_valid(self, form):
        self.object = self.save(form)
        messages.success(self.request, self.success_message % {"name": self.object.name})
        return HttpResponseRedirect(self.get_success_url())


class BeerCreatePageView(OwnBeersMixin, _ServiceFormMixin, CreateView):
    """Adds a beer to the signed-in user's locker with ``beer_create``."""

    form_class = BeerForm
    template_name = "lockers/beer_form.html"
    success_message = _("Added %(name)s.")

    def save(self, form):
        return services.beer_create(owner=self.request.user, **form.cleaned_data)


class BeerUpdatePageView(OwnBeersMixin, _ServiceFormMixin, UpdateView):
    """Changes one of the signed-in user's beers with ``beer_update``."""

    form_class = BeerForm
    template_name = "lockers/beer_form.html"
    success_message = _("Saved %(name)s.")

    def save(self, form):
        return services.beer_update(beer=self.object, **form.cleaned_data)


class BeerDeletePageView(OwnBeersMixin, DeleteView):
    """Asks for confirmation, then removes one of the signed-in user's beers with ``beer_delete``."""

    template_name = "lockers/beer_confirm_delete.html"
    context_object_name = "beer"

    def form_valid(self, form):
        services.beer_delete(beer=self.object)
        messages.success(self.request, gettext("Removed %(name)s.") % {"name": self.object.name})
        return HttpResponseRedirect(self.get_success_url())
