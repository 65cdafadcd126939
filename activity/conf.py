"""The activity app's settings: ``settings.ACTIVITY`` overrides these defaults."""

from django.conf import settings

DEFAULTS = {
    # Events older than this many days are removed by ``manage.py pruneactivity``.
    "RETENTION_DAYS": 180,
}


def get(name):
    return getattr(settings, "ACTIVITY", {}).get(name, DEFAULTS[name])
