"""The activity API: the caller's own security events."""

from rest_framework import generics

from activity.models import Event
from activity.serializers import EventSerializer


class MyActivityListView(generics.ListAPIView):
    """The caller's security events, newest first (paginated)."""

    serializer_class = EventSerializer
    queryset = Event.objects.none()  # documents the model; get_queryset() scopes it
    token_scopes = {"read": ["activity:read"]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Event.objects.of(self.request.user)
