from django.contrib.auth import get_user_model
from rest_framework import serializers

from lockers.models import Beer

User = get_user_model()


class BeerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Beer
        fields = ["id", "name", "type", "quantity", "created", "updated"]
        read_only_fields = ["id", "created", "updated"]


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email"]
        read_only_fields = ["id", "username"]


class SignUpSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, trim_whitespace=False)

    class Meta:
        model = User
        fields = ["id", "username", "email", "password"]
        read_only_fields = ["id"]
