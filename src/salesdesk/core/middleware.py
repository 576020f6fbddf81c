"""The edge every request passes first: inputs no field accepts are refused before any
view runs, and an error nobody foresaw is answered without a traceback.

- A NUL character (`\\x00`, `%00`, `\\u0000` in JSON) in the path, the query string or the
  body text is a 400: PostgreSQL refuses it in any text column, so a view that stored or
  even compared it would fail half way.
- A body beyond `DATA_UPLOAD_MAX_MEMORY_SIZE` is a 413. A multipart upload counts only
  its text fields against that limit, so workbook uploads keep their own, larger one.
- An unexpected exception is a 500 carrying an error id; the id and the traceback go to
  the log, so a user can quote the id and an operator can find the traceback. Under
  /api/ the answer is JSON `{"detail", "error_id"}`, even with DEBUG on.
"""

import logging
import re
import sys
import uuid

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger("salesdesk.errors")

API_PREFIX = "/api/"
NUL = "\x00"
# Percent-encoded, NUL is exactly "%00" ("%2500" is the text "%00", not a NUL).
# A JSON escape \u0000 that is not itself escaped (an odd number of backslashes before u).
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
NUL_MESSAGE = gettext_lazy("The request contains a NUL character (\\x00), which no field accepts.")
TOO_BIG = gettext_lazy("The request body is larger than %(size)d bytes.")
UNREADABLE = gettext_lazy("The request body could not be read.")
# Exceptions Django already answers with a 4xx of its own.
EXPECTED = (Http404, PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def refusal(request: HttpRequest, status: int, message, **params) -> HttpResponse:
    """A 4xx: `{"detail": message}` for the API, a short plain page otherwise. It comes
    before LocaleMiddleware, so it finds the caller's language itself."""
    with translation.override(translation.get_language_from_request(request)):
        message = str(message) % params if params else str(message)
    if is_api(request):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def unexpected_error(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The answer to an exception nobody foresaw: a 500 with an id that is in the log."""
    error_id = uuid.uuid4().hex[:12]
    logger.error(
        "Unexpected error %s on %s %s",
        error_id,
        request.method,
        request.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    message = _("Something went wrong on our side. Quote error %(id)s when you report it.") % {
        "id": error_id
    }
    if is_api(request):
        return JsonResponse({"detail": message, "error_id": error_id}, status=500)
    page = loader.get_template("500.html").render({"error_id": error_id, "message": message})
    return HttpResponse(page, status=500)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an exception raised outside any view (in a middleware, say)."""
    exc = sys.exc_info()[1] or RuntimeError("unknown error")
    return unexpected_error(request, exc)


class RequestGuardMiddleware:
    """First in MIDDLEWARE: refuses NUL characters and oversized bodies before anything
    else reads them, and turns a view's unexpected exception into a 500 with an id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self.problem(request)
        if problem is not None:
            return problem
        return self.get_response(request)

    def problem(self, request: HttpRequest) -> HttpResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        query = request.META.get("QUERY_STRING", "")
        if NUL in request.path or NUL in query or "%00" in query:
            return refusal(request, 400, NUL_MESSAGE)
        if request.content_type == "multipart/form-data":
            # Django counts only the text fields against the limit, not the files.
            try:
                values = [v for key in request.POST for v in [key, *request.POST.getlist(key)]]
            except RequestDataTooBig:
                return refusal(request, 413, TOO_BIG, size=limit)
            except (MultiPartParserError, SuspiciousOperation):
                return refusal(request, 400, UNREADABLE)
            if any(NUL in value for value in values):
                return refusal(request, 400, NUL_MESSAGE)
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return refusal(request, 413, TOO_BIG, size=limit)
        try:
            body = request.body
        except RequestDataTooBig:
            return refusal(request, 413, TOO_BIG, size=limit)
        form = request.content_type == "application/x-www-form-urlencoded"
        if b"\x00" in body or JSON_NUL.search(body) or (form and b"%00" in body):
            return refusal(request, 400, NUL_MESSAGE)
        return None

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, EXPECTED):
            return None
        if settings.DEBUG and not is_api(request):
            return None  # a developer's page shows Django's traceback page
        return unexpected_error(request, exc)
