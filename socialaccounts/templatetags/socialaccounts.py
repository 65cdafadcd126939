from django import template
from django.conf import settings
from social_core.backends.utils import load_backends
from social_django.utils import load_strategy

register = template.Library()


@register.simple_tag
def social_providers():
    """The providers configured in AUTHENTICATION_BACKENDS, as name and button title, one per title.

    X's two protocols are one provider to a person: with both configured, the first listed
    (OAuth 2.0) gets the one "X" button; both sign in the same user (pipeline.associate_same_account).
    """
    strategy = load_strategy()
    buttons = {}
    for name, backend in load_backends(settings.AUTHENTICATION_BACKENDS).items():
        buttons.setdefault(backend.get_title(strategy), name)
    return [{"name": name, "title": title} for title, name in buttons.items()]
