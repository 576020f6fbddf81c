"""Sign-in rules of our own, on top of Django's ModelBackend."""

from django.conf import settings
from django.core.exceptions import PermissionDenied


def demo_password_refused(password: str | None) -> bool:
    """The demo accounts' well-known password opens nothing where demo logins are off
    (production): not at sign-in, and it cannot be set as anyone's password."""
    return not settings.DEMO_LOGIN_ALLOWED and password == settings.DEMO_PASSWORD


class DemoPasswordRefused:
    """Listed before ModelBackend: raising PermissionDenied makes `authenticate` stop
    there, so no later backend (the login page, the admin, anything else) accepts it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if demo_password_refused(password):
            raise PermissionDenied
        return None

    # No get_user: this backend never signs anyone in, so no session names it, and
    # Django's force_login (tests, scripts) passes over it to ModelBackend.
