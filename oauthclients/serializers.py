from rest_framework import serializers

from oauthclients.metadata import BY_NAME, FIELDS, Kind, MetadataField
from oauthclients.models import Client


class SpaceSeparatedListField(serializers.ListField):
    """A list in JSON, stored by DOT as one space-separated string."""

    def to_representation(self, data):
        return super().to_representation(data.split() if isinstance(data, str) else data)


def _serializer_field(field: MetadataField) -> serializers.Field:
    """The DRF field for one described metadata field: only its JSON type is checked here."""
    # A list's default is a fresh copy each time (a callable, which the schema leaves unshown).
    default = field.initial if field.kind is Kind.LIST else field.default
    options = {"required": True} if field.required else {"default": default}
    if field.model_field != field.name:
        options["source"] = field.model_field
    if field.kind is Kind.LIST:
        list_class = SpaceSeparatedListField if field.space_separated else serializers.ListField
        return list_class(child=serializers.CharField(trim_whitespace=False), **options)
    if field.kind is Kind.BOOL:
        return serializers.BooleanField(**options)
    if field.kind is Kind.OBJECT:
        return serializers.JSONField(allow_null=True, **options)
    if field.required:
        options["max_length"] = Client._meta.get_field(field.model_field).max_length
    # A vocabulary's name is trimmed; a name, URI or scope is taken as sent.
    return serializers.CharField(
        allow_blank=field.default == "" and not field.required,
        trim_whitespace=field.kind is Kind.CHOICE,
        **options,
    )


class ClientSerializer(serializers.ModelSerializer):
    """A client's RFC 7591 metadata, one field per ``oauthclients.metadata.FIELDS``. Rules live in
    ``oauthclients.validation``, applied by the services; this only checks JSON types. The secret
    is never a field: the create and rotate views add the raw one to their own response, once."""

    client_id_issued_at = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = ["client_id", "client_id_issued_at"]
        read_only_fields = ["client_id"]

    def get_fields(self):
        return {**super().get_fields(), **{field.name: _serializer_field(field) for field in FIELDS}}

    def get_client_id_issued_at(self, client) -> int:
        # RFC 7591 §3.2.1: seconds since the epoch.
        return int(client.created.timestamp())

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # RFC 7591 §3.2.1 returns the metadata registered: a client without keys has neither member.
        for name, value in list(data.items()):
            if name in BY_NAME and BY_NAME[name].optional and value in (None, "", []):
                del data[name]
        return data

    def service_fields(self) -> dict:
        """The validated data under the services' (RFC 7591) argument names."""
        return {
            field.name: self.validated_data[field.model_field]
            for field in FIELDS
            if field.model_field in self.validated_data
        }
