"""A URLconf with one view that fails, for the request log's 500 case."""

from django.urls import path


def boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom", boom)]
