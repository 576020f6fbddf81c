"""API authentication: a personal bearer token, or the browser's session (with CSRF)."""

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from salesdesk.core.services import token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_authenticate(token, now=timezone.now())
        if user is not None:
            request.user = user
        return user


class BrowserSession(SessionAuth):
    """The signed-in browser, with Django's CSRF check on writes.

    Without a signed-in session there is nothing for CSRF to protect, and the caller is
    simply not authenticated: 401 with a JSON body, not the CSRF check's 403.
    """

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


API_AUTH = [BearerToken(), BrowserSession()]
