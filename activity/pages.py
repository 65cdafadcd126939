from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import ListView

from activity.models import Event


class ActivityPageView(LoginRequiredMixin, ListView):
    """The signed-in user's security activity, newest first."""

    template_name = "activity/event_list.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self):
        return Event.objects.of(self.request.user)
