import json
from typing import Any

from cryptography.fernet import InvalidToken
from django.core.exceptions import ValidationError
from django.db import models

from socialaccounts.crypto import cipher


class EncryptedJSONField(models.TextField):
    """A JSON object stored as a Fernet token: readable in Python, ciphertext in the database."""

    description = "JSON encrypted at rest"
    # django-stubs reads these (annotations only): the attribute holds a dict, not the stored text;
    # TextField's stubs fix them to str, hence the ignores.
    _pyi_private_set_type: dict[str, Any]  # type: ignore[assignment]
    _pyi_private_get_type: dict[str, Any]  # type: ignore[assignment]

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        if not value:
            return {}
        try:
            return json.loads(cipher().decrypt(value.encode()))
        except InvalidToken as error:
            # Wrong or rotated-away key: refuse loudly rather than hand back garbage.
            raise ValidationError("Stored provider data cannot be decrypted with these keys.") from error

    def get_prep_value(self, value):
        if value is None:
            value = {}
        return cipher().encrypt(json.dumps(value, sort_keys=True).encode()).decode()

    def value_to_string(self, obj):
        # Serialisation (dumpdata) writes ciphertext, never the tokens themselves.
        return self.get_prep_value(self.value_from_object(obj))
