"""The errors a write may end in, shared by every app; the UI and the API map each to
one answer (ValidationError and KeyTaken 422, PermissionDenied 403, Conflict 409)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError


class ServiceError(ValueError):
    """A business rule refused the write; the message is shown to the user."""


class PermissionDenied(DjangoPermissionDenied):
    """The acting user may not do this: a 403 in the UI and the API."""


class KeyTaken(ValidationError):
    """A new record names a natural key (a code) that is taken, perhaps by a concurrent
    request a moment ago: an idempotent create then compares with the stored record."""


class Conflict(ValueError):
    """A write names an existing natural key with different content."""
