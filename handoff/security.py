"""Input the database cannot hold is the client's mistake: 400, never a 500."""

import logging

from django.db import DataError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)


class OutOfRangeInputMiddleware:
    """An id or number too large for its column (SQLite: OverflowError; PostgreSQL: DataError).

    Filters and lookups take ids from the query string; any of them can be fed a huge number.
    One guard here answers 400 for all of them instead of a 500.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OverflowError | DataError):
            return None
        logger.info("Refused out-of-range input on %s: %s", request.path, exception)
        message = "A value in the request is out of range."
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "out_of_range"}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
