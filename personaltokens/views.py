"""The API of the caller's own personal access tokens (pages: ``personaltokens.pages``).

Managing tokens takes the password (HTTP Basic) or the browser session: no token, OAuth or
personal, may create or revoke tokens (``token_scopes`` lists no scope for that), so a leaked
token cannot mint itself a successor.
"""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.response import Response

from personaltokens import conf, services
from personaltokens.models import PersonalAccessToken
from personaltokens.serializers import (
    PersonalAccessTokenCreatedSerializer,
    PersonalAccessTokenCreateSerializer,
    PersonalAccessTokenSerializer,
)


class MyTokensMixin(generics.GenericAPIView):
    serializer_class = PersonalAccessTokenSerializer
    queryset = PersonalAccessToken.objects.none()
    token_scopes: dict = {}  # never with a token: see the module's docstring

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return PersonalAccessToken.objects.owned_by(self.request.user)


class MyTokenListView(MyTokensMixin, generics.ListAPIView):
    """The caller's personal access tokens, newest first; POST creates one and answers it once."""

    name = "My personal access tokens"

    @extend_schema(
        request=PersonalAccessTokenCreateSerializer, responses={201: PersonalAccessTokenCreatedSerializer}
    )
    def post(self, request):
        given = PersonalAccessTokenCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            row, token = services.token_create(
                user=request.user,
                name=data["name"],
                scopes=data["scopes"],
                lifetime_days=data.get("lifetime_days") or conf.get("LIFETIME_DAYS")[0],
            )
        except ValidationError as error:
            raise APIValidationError(error.message_dict) from error
        row.token = token
        response = Response(PersonalAccessTokenCreatedSerializer(row).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class MyTokenDetailView(MyTokensMixin, generics.RetrieveDestroyAPIView):
    """One of the caller's tokens; DELETE revokes it at once (another user's is a 404)."""

    def perform_destroy(self, instance):
        services.token_revoke(token=instance)
