from rest_framework import generics, status
from rest_framework.response import Response

from oauthclients import services
from oauthclients.models import Client
from oauthclients.serializers import ClientSerializer

# A bearer token manages clients only with the ``clients`` scope; a password always may.
CLIENTS_TOKEN_SCOPES = {"read": ["clients"], "write": ["clients"]}
# A response carrying a raw secret must not be kept by any cache (as RFC 6749 §5.1 asks for tokens).
NO_STORE = {"Cache-Control": "no-store"}


class ClientListCreateView(generics.ListCreateAPIView):
    """The caller's own clients, paginated; POST registers one and shows its secret this once."""

    serializer_class = ClientSerializer
    token_scopes = CLIENTS_TOKEN_SCOPES
    filter_backends = []

    def get_queryset(self):
        return Client.objects.owned_by(self.request.user).order_by("-created", "-id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        client, raw_secret = services.client_create(owner=request.user, **serializer.service_fields())
        data = ClientSerializer(client).data
        if raw_secret is not None:
            data["client_secret"] = raw_secret
        return Response(data, status=status.HTTP_201_CREATED, headers=NO_STORE)


class ClientDetailView(generics.RetrieveUpdateDestroyAPIView):
    """One of the caller's clients, by client_id; another user's client is a 404 by construction.
    Deleting it deletes its tokens and authorization codes."""

    serializer_class = ClientSerializer
    token_scopes = CLIENTS_TOKEN_SCOPES
    lookup_field = "client_id"
    # RFC 7592 replaces metadata with PUT; here a partial PATCH is the one way to change it.
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return Client.objects.owned_by(self.request.user)

    def perform_update(self, serializer):
        serializer.instance = services.client_update(
            client=serializer.instance, **serializer.service_fields()
        )

    def perform_destroy(self, instance):
        services.client_delete(client=instance)


class ClientRotateSecretView(generics.GenericAPIView):
    """Give one of the caller's confidential clients a new secret, shown in this response only."""

    serializer_class = ClientSerializer
    token_scopes = CLIENTS_TOKEN_SCOPES
    lookup_field = "client_id"

    def get_queryset(self):
        return Client.objects.owned_by(self.request.user)

    def post(self, request, *args, **kwargs):
        client = self.get_object()
        raw_secret = services.client_rotate_secret(client=client)
        return Response({**self.get_serializer(client).data, "client_secret": raw_secret}, headers=NO_STORE)
