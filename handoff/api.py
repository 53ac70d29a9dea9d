"""API plumbing shared by every app: pagination, ordering, the problem body, one error handler.

Every error answers in one of two shapes, and the schema says which on every operation:
bad input is 400 with the errors by field; not signed in (401), not allowed (403), not
visible (404) and a rule that said no (409) are a Problem, `{"detail": …, "code": …}`.
handoff.schema documents them on every operation.
"""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django_filters import CharFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, serializers, status
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from handoff.errors import DomainError
from handoff.web.pagination import COUNT_CAP, MAX_PAGE, CappedPaginator


class ProblemSerializer(serializers.Serializer):
    """Not signed in (401), not allowed (403), not visible (404), a rule said no (409)."""

    detail = serializers.CharField(help_text="what went wrong, for a person")
    code = serializers.CharField(help_text="what went wrong, for a program")


class TextField(serializers.CharField):
    """Input text as the schema documents it: a string, at most max_length characters as sent.

    DRF's CharField also takes a number (`0.0` becomes "0.0"), and trims surrounding
    whitespace before it counts, so 5,000 characters and a page of newlines after them
    passed a 5,000-character limit.
    """

    default_error_messages = {"invalid": "Give text, not a number or a list."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class Pagination(PageNumberPagination):
    """Page numbers; `count` is exact up to 10,000 rows, and `count_exact` says whether it is.

    A `page` or `page_size` that is not a whole number within its bounds is bad input (400),
    not quietly replaced by the default; a page past the last one is not found (404).
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()
    django_paginator_class = CappedPaginator

    def get_page_size(self, request) -> int:
        return _bounded_int(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        return _bounded_int(request, self.page_query_param, 1, MAX_PAGE)

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

    def get_schema_operation_parameters(self, view):
        bounds = {
            self.page_query_param: (MAX_PAGE, "Page number; past the last page answers 404."),
            self.page_size_query_param: (
                self.max_page_size,
                f"Rows per page, {self.page_size} unless given.",
            ),
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            maximum, description = bounds[parameter["name"]]
            parameter["description"] = description
            parameter["schema"].update(minimum=1, maximum=maximum)
        return parameters


def _bounded_int(request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw) or not 1 <= int(raw) <= maximum:
        raise exceptions.ValidationError(
            {name: [f"Give a whole number from 1 to {maximum:,}."]}, code="invalid"
        )
    return int(raw)


EMPTY_PARAMETER = "Give a value, or leave the parameter out."


def refuse_empty_parameters(params, names) -> None:
    """`?team=` is bad input: to mean "any" or "the default", the API leaves a parameter out.

    The pages' forms send empty fields for that; the API's schema documents no empty values.
    """
    empty = {name: [EMPTY_PARAMETER] for name in names if "" in params.getlist(name)}
    if empty:
        raise exceptions.ValidationError(empty)


class FilterBackend(DjangoFilterBackend):
    """django-filter; an empty value of a filter other than free text is bad input."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            refuse_empty_parameters(
                request.query_params,
                [name for name, f in filterset.filters.items() if not isinstance(f, CharFilter)],
            )
        return filterset


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
    """Domain errors become 409 with a code; Django's own errors keep their meaning.

    Every answer that is not bad input by field is a Problem: `detail` and a `code`.
    """
    if isinstance(exc, DomainError):
        return Response(
            {**exc.extra, "detail": exc.message, "code": exc.code},
            status=exc.http_status or status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = exceptions.ParseError(
            f"The request body is larger than {limit:,} bytes.", code="too_large"
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(getattr(exc, "detail", None), str):
        response.data = {"detail": str(exc.detail), "code": exc.detail.code}
    return response
