from django import template
from django.conf import settings
from social_core.backends.utils import load_backends
from social_django.utils import load_strategy

register = template.Library()


@register.simple_tag
def social_providers():
    """The providers configured in AUTHENTICATION_BACKENDS, as name and button title."""
    strategy = load_strategy()
    return [
        {"name": name, "title": backend.get_title(strategy)}
        for name, backend in load_backends(settings.AUTHENTICATION_BACKENDS).items()
    ]
