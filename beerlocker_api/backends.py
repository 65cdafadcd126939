"""Authentication backends the project installs (``AUTHENTICATION_BACKENDS``)."""

from axes.backends import AxesStandaloneBackend


class PasswordGuessingBackend(AxesStandaloneBackend):
    """First in ``AUTHENTICATION_BACKENDS``: refuses a password sign-in for a locked account or
    address before any password is checked. Sign-ins without a password (social) pass through, and
    so do calls without a request (management commands, the test client's ``login()``): every HTTP
    door passes its request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is None or request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
