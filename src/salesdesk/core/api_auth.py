"""API authentication: a personal bearer token, or the browser's session (with CSRF)."""

from ninja.security import HttpBearer, django_auth

from salesdesk.core.services import token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


API_AUTH = [BearerToken(), django_auth]
