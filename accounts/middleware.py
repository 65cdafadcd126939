from accounts.sessions import session_touch


class SessionActivityMiddleware:
    """Keeps each signed-in session's "last active", address and browser current (cheaply: see
    ``session_touch``). After the view, so a sign-out in the view leaves nothing to note; before
    ``SessionMiddleware`` in the response, which saves what changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if hasattr(request, "session"):
            session_touch(request)
        return response


class SecondFactorPolicyMiddleware:
    """The ``ACCOUNTS`` second-factor policy (``accounts.factors``), after django-otp's middleware:

    - the admin, for staff when ``REQUIRE_SECOND_FACTOR_FOR_STAFF``: without a factor they are sent
      to the security page to add one; with one, a session that did not pass it signs in again;
    - every page, for a user past the ``REQUIRE_SECOND_FACTOR_AFTER_DAYS`` grace without a factor:
      sent to the security page (which, with sign-out and the pages it needs, stays reachable).
    The API is left alone: its doors that cannot ask for a code refuse such users themselves.
    """

    # What a user being sent to set up a factor can still reach.
    ALLOWED_PREFIXES = ("/account/security/", "/accounts/", "/static/", "/api/", "/social/", "/favicon")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        redirect = self.refuse(request)
        return redirect if redirect is not None else self.get_response(request)

    def refuse(self, request):
        from django.contrib import messages
        from django.contrib.auth.views import redirect_to_login
        from django.shortcuts import redirect

        from accounts import factors

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        path = request.path
        if path in ("/admin/login/", "/admin/logout/"):
            return None
        if (
            path.startswith("/admin/")
            and user.is_staff
            and factors.setting("REQUIRE_SECOND_FACTOR_FOR_STAFF")
        ):
            if not factors.has_second_factor(user):
                messages.warning(
                    request, "The admin requires a second factor: add an authenticator app first."
                )
                return redirect("accounts:security")
            if not user.is_verified():
                return redirect_to_login(request.get_full_path(), "admin-login")
            return None
        if path.startswith(self.ALLOWED_PREFIXES) or path == "/":
            return None
        if factors.second_factor_required(user) and not factors.has_second_factor(user):
            messages.warning(request, "Your account must now have a second factor: add one to continue.")
            return redirect("accounts:security")
        return None
