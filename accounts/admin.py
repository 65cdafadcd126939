"""Users in the admin with one more action: sign out every session of the selected users.

Sessions have no admin page of their own: their primary key is the session key, which the admin
would print in every link and checkbox.
"""

from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model

from accounts import services

User = get_user_model()


@admin.action(description="Sign out every session of the selected users", permissions=["change"])
def end_all_sessions(modeladmin, request, queryset):
    ended = sum(
        services.user_sessions_end(user=user, by=services.EndedBy.ADMIN, actor=request.user)
        for user in queryset
    )
    modeladmin.message_user(request, f"Ended {ended} session{'s' if ended != 1 else ''}.", messages.SUCCESS)


if admin.site.is_registered(User):
    UserAdminBase = type(admin.site.get_model_admin(User))
    admin.site.unregister(User)
else:  # pragma: no cover - a project without django.contrib.auth's admin
    UserAdminBase = auth_admin.UserAdmin


@admin.register(User)
class UserAdmin(UserAdminBase):
    actions = [*(UserAdminBase.actions or []), end_all_sessions]
