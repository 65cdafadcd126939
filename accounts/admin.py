"""Users in the admin with one more action: sign out every session of the selected users; a
password set on the user's "change password" form goes through ``user_password_changed``; and a
user deleted here (one, or the selected ones) goes through ``user_delete``, tokens and all.

Sessions have no admin page of their own: their primary key is the session key, which the admin
would print in every link and checkbox.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts import services
from accounts.sessions import current_session

User = get_user_model()


@admin.action(description="Sign out every session of the selected users", permissions=["change"])
def end_all_sessions(modeladmin, request, queryset):
    ended = sum(
        services.user_sessions_end(user=user, by=services.EndedBy.ADMIN, actor=request.user)
        for user in queryset
    )
    modeladmin.message_user(request, f"Ended {ended} session{'s' if ended != 1 else ''}.", messages.SUCCESS)


def _token_models():
    from oauth2_provider.models import (
        get_access_token_model,
        get_grant_model,
        get_id_token_model,
        get_refresh_token_model,
    )

    return (get_access_token_model(), get_refresh_token_model(), get_grant_model(), get_id_token_model())


if admin.site.is_registered(User):
    UserAdminBase = type(admin.site.get_model_admin(User))
    admin.site.unregister(User)
else:  # pragma: no cover - a project without django.contrib.auth's admin
    UserAdminBase = auth_admin.UserAdmin


@admin.register(User)
# The base is chosen at import (the admin the project registered for User): mypy cannot follow it.
class UserAdmin(UserAdminBase):  # type: ignore[misc,valid-type]
    actions = [*(UserAdminBase.actions or []), end_all_sessions]

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # DOT's token admins refuse deletes (revocation is their way), which would block deleting
        # any user who holds a token; deleting a user is meant to take their tokens along.
        perms_needed -= {str(model._meta.verbose_name) for model in _token_models()}
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        services.user_delete(user=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        # One by one through the service: each user's sessions end (back-channel logout) before
        # the cascade takes their tokens (each revoked, JWT access tokens included).
        for user in queryset:
            services.user_delete(user=user, actor=request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # A deactivated account is signed out everywhere, through the one service (so
            # back-channel logout tells the applications too).
            services.user_sessions_end(user=obj, by=services.EndedBy.ADMIN, actor=request.user)

    def user_change_password(self, request, id, form_url=""):
        """Django's password form; a password it saved is then what any new password is
        (``user_password_changed``): the user's tokens are revoked, their sessions end and they
        are told. Another user's is an administrator's reset; one's own is a change that keeps
        this session."""
        user = self.get_object(request, unquote(id))
        before = user.password if user is not None else None
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if user is not None and request.method == "POST":
                user.refresh_from_db(fields=["password"])
                if user.password != before:
                    self._password_changed(request, user)
        return response

    def _password_changed(self, request, user):
        if user.pk == request.user.pk:
            services.user_password_changed(user=user, how="change", keep_session=current_session(request))
        else:
            services.user_password_changed(user=user, how="admin", admin=request.user)
