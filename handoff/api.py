"""API plumbing shared by every app: pagination and one error handler."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from handoff.errors import DomainError
from handoff.pagination import COUNT_CAP, CappedPaginator


class Pagination(PageNumberPagination):
    """Page numbers; `count` is exact up to 10,000 rows, and `count_exact` says whether it is."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": min(paginator.count, paginator.cap),
                "count_exact": paginator.exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            f"rows matching, exact up to {COUNT_CAP:,}; past that, {COUNT_CAP:,}"
        )
        response["properties"]["count_exact"] = {
            "type": "boolean",
            "description": f"false when more than {COUNT_CAP:,} rows match",
        }
        response["required"] = [*response["required"], "count_exact"]
        return response


class StableOrderingFilter(OrderingFilter):
    """`?ordering=` ends with the id, in the direction of the first field.

    Rows of equal value then come in one fixed order, so pages never repeat or skip one; and
    the sort indexes of the deal list, (value, id) and the like, serve the query whole.
    """

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering or any(field.lstrip("-") in ("id", "pk") for field in ordering):
            return ordering
        return [*ordering, "-id" if ordering[0].startswith("-") else "id"]


def exception_handler(exc, context):
    """Domain errors become 409 with a code; Django's own errors keep their meaning."""
    if isinstance(exc, DomainError):
        return Response(
            {"detail": exc.message, "code": exc.code},
            status=exc.http_status or status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)
