from rest_framework import serializers

from lockers.models import Beer


class BeerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Beer
        fields = ["id", "name", "type", "quantity", "created", "updated"]
        read_only_fields = ["id", "created", "updated"]
