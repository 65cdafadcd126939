from django.utils.functional import cached_property
from rest_framework import serializers

from lockers.models import Beer


class BeerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Beer
        fields = ["id", "name", "type", "quantity", "created", "updated"]
        read_only_fields = ["id", "created", "updated"]

    @cached_property
    def _attribute_fields(self):
        """(name, field) of the readable fields, when each reads the model attribute of its name."""
        fields = [(field.field_name, field) for field in self.fields.values() if not field.write_only]
        if all(field.source == name and field.source_attrs == [name] for name, field in fields):
            return fields
        return None

    def to_representation(self, instance):
        # The same output as ModelSerializer's loop (None stays None, every other value goes
        # through its field), without resolving each field's source path per row: a list page
        # spends most of its serializing time there. Any field with another source: DRF's loop.
        fields = self._attribute_fields
        if fields is None:
            return super().to_representation(instance)
        representation = {}
        for name, field in fields:
            value = getattr(instance, name)
            representation[name] = None if value is None else field.to_representation(value)
        return representation
