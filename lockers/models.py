from django.conf import settings
from django.core.validators import MaxValueValidator, MinLengthValidator
from django.db import models

# The largest value every supported database stores in an integer column (PostgreSQL's limit).
MAX_QUANTITY = 2_147_483_647


class BeerQuerySet(models.QuerySet):
    def owned_by(self, user):
        """Only the beers in ``user``'s locker; nothing for an anonymous user."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user)


class Beer(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="beers")
    name = models.CharField(max_length=100, validators=[MinLengthValidator(1)])
    type = models.CharField(max_length=50, blank=True)
    quantity = models.PositiveIntegerField(default=1, validators=[MaxValueValidator(MAX_QUANTITY)])
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = BeerQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        # The API's order (owner, newest first, id as tie-break) read straight off one index.
        indexes = [models.Index(fields=["owner", "-created", "-id"], name="beer_owner_created_id")]

    def __str__(self):
        return self.name

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The owner as read, so a save that moves the beer to another locker (the admin) is seen
        # by lockers.caching as leaving one locker and joining another; None when deferred.
        instance._loaded_owner_id = instance.__dict__.get("owner_id")
        return instance
