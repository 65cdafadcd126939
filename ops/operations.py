"""The admin's operations page (/admin/operations/): sign-ins, failures, lockouts and tokens issued
over the last 24 hours (hourly) and 30 days (daily), drawn on the server as inline SVG bar charts:
no script, no inline style (the bars' colours are classes in ops/static/ops/operations.css).

Four queries whatever the volume: per window, one GROUP BY over the activity log (the three event
series as conditional counts) and one over DOT's access tokens, each on the indexed ``created``
column and truncated to the hour or day in the database.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import admin
from django.db.models import Count, Q
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.generic import TemplateView
from oauth2_provider.models import get_access_token_model

from activity.models import LOCKOUT_LIMIT, Event, Kind

# The chart's drawing area, in SVG user units (the SVG scales to the page's width).
WIDTH, HEIGHT, AXIS = 720, 120, 20
TOP = 14  # room for the "max" label above the tallest bar
SERIES = (
    ("sign_ins", gettext_noop("Sign-ins")),
    ("failures", gettext_noop("Failed sign-ins")),
    ("lockouts", gettext_noop("Lockouts")),
    ("tokens", gettext_noop("Access tokens issued")),
)


@dataclass(frozen=True)
class Window:
    """A stretch of time cut into equal buckets: ``count`` hours or days, the last one the current."""

    title: str
    unit: str  # "hour" or "day": the database's truncation
    count: int
    label_every: int
    label_format: str

    def buckets(self, now: datetime) -> list[datetime]:
        now = timezone.localtime(now)
        if self.unit == "hour":
            last = now.replace(minute=0, second=0, microsecond=0)
            step = timedelta(hours=1)
        else:
            last = now.replace(hour=0, minute=0, second=0, microsecond=0)
            step = timedelta(days=1)
        return [last - step * (self.count - 1 - index) for index in range(self.count)]


WINDOWS = (
    Window(gettext_noop("Last 24 hours"), "hour", 24, 3, "%H:%M"),
    Window(gettext_noop("Last 30 days"), "day", 30, 5, "%b %d"),
)


def _grouped(queryset, window: Window, since: datetime, **counts) -> dict[datetime, dict]:
    """``counts`` per bucket since ``since``: one GROUP BY on the truncated ``created``."""
    rows = (
        queryset.filter(created__gte=since)
        .annotate(bucket=Trunc("created", window.unit, tzinfo=timezone.get_current_timezone()))
        .values("bucket")
        .annotate(**counts)
        .order_by()
    )
    return {row.pop("bucket"): row for row in rows}


def window_counts(window: Window, now: datetime) -> tuple[list[datetime], dict[str, list[int]]]:
    """The window's buckets and, per series, the count in each: two queries."""
    buckets = window.buckets(now)
    since = buckets[0]
    events = _grouped(
        Event.objects.filter(kind__in=[Kind.SIGN_IN, Kind.SIGN_IN_FAILED, Kind.RATE_LIMITED]),
        window,
        since,
        sign_ins=Count("id", filter=Q(kind=Kind.SIGN_IN)),
        failures=Count("id", filter=Q(kind=Kind.SIGN_IN_FAILED)),
        lockouts=Count("id", filter=Q(kind=Kind.RATE_LIMITED, details__limit=LOCKOUT_LIMIT)),
    )
    tokens = _grouped(get_access_token_model().objects.all(), window, since, tokens=Count("id"))
    series: dict[str, list[int]] = {}
    for key, _title in SERIES:
        source = tokens if key == "tokens" else events
        series[key] = [source.get(bucket, {}).get(key, 0) for bucket in buckets]
    return buckets, series


def bar_chart(*, key: str, title: str, window: Window, buckets: list[datetime], values: list[int]) -> dict:
    """What the template draws: one bar per bucket scaled to the largest, with its label and count."""
    top = max(values, default=0)
    scale = HEIGHT / top if top else 0
    slot = WIDTH / len(values)
    bars = []
    for index, (bucket, value) in enumerate(zip(buckets, values, strict=True)):
        height = round(value * scale, 1)
        bars.append(
            {
                "x": round(index * slot + 1, 1),
                "y": round(TOP + HEIGHT - height, 1),
                "width": round(slot - 2, 1),
                "height": height,
                "value": value,
                "when": bucket.strftime("%Y-%m-%d %H:%M" if window.unit == "hour" else "%Y-%m-%d"),
                "label": bucket.strftime(window.label_format) if index % window.label_every == 0 else "",
                "label_x": round(index * slot + slot / 2, 1),
            }
        )
    return {
        "key": key,
        "title": title,
        "total": sum(values),
        "top": top,
        "bars": bars,
        "width": WIDTH,
        "axis_y": TOP + HEIGHT,
        "view_height": TOP + HEIGHT + AXIS,
        "label_y": TOP + HEIGHT + AXIS - 5,
    }


class OperationsView(TemplateView):
    """Staff only (wrapped in ``admin.site.admin_view``): the charts, in the admin's frame."""

    template_name = "admin/ops/operations.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        windows = []
        for number, window in enumerate(WINDOWS, start=1):
            buckets, series = window_counts(window, now)
            charts = [
                {
                    **bar_chart(key=key, title=_(title), window=window, buckets=buckets, values=series[key]),
                    "id": f"{number}-{key}",
                }
                for key, title in SERIES
            ]
            windows.append({"title": _(window.title), "charts": charts})
        return {
            **super().get_context_data(**kwargs),
            **admin.site.each_context(self.request),
            "title": _("Operations"),
            "windows": windows,
            "now": now,
        }
