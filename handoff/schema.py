"""The OpenAPI schema's view of each operation: the errors it can answer, documented once;
and the schema generated once per process.

Its own module: DRF imports handoff.api's filter while it defines its views, and
drf-spectacular's AutoSchema needs those views.
"""

from typing import Any

from django.conf import settings
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from handoff.api import ProblemSerializer

# The served schema by (URLconf, API version, public, language): the code it describes only changes
# with a deploy, which starts new processes.
_served: dict[tuple[Any, ...], dict] = {}


class CachedSchemaGenerator(SchemaGenerator):
    """Generates the served schema once per process instead of on every request.

    It does not depend on who asks: the view serves the public schema, and no view's schema
    reads the user. A generator given its own URLconf or patterns (a test, a command) is
    not cached.
    """

    def get_schema(self, request=None, public=False):
        if self.urlconf is not None or self.patterns is not None:
            return super().get_schema(request=request, public=public)
        key = (settings.ROOT_URLCONF, self.api_version, public, translation.get_language())
        if key not in _served:
            _served[key] = super().get_schema(request=request, public=public)
        return _served[key]


def forget_served_schema() -> None:
    """Generate afresh on the next request (tests that change what the schema describes)."""
    _served.clear()


class AutoSchema(SpectacularAutoSchema):
    """Every operation documents the errors it can answer, so no view lists them by hand.

    400 where it takes a body or query parameters; 401 wherever a token is read (a bad one
    is refused even where anyone may call); 403 where a role or the object's owner decides;
    404 where a path names an object or a list pages; 409 on every signed-in write (a rule
    on the object's current state, or a change meanwhile); 415 where it takes a body;
    429 where it is throttled.
    Responses a view documents itself keep their own description.
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code, (schema, description) in self._errors(operation).items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(schema, description=description), code
                )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A nested list's bounds (`many=True, max_length=…`), which drf-spectacular leaves out.
        if schema and isinstance(field, serializers.ListSerializer):
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
            if field.min_length is not None:
                schema["minItems"] = field.min_length
        if direction == "request" and isinstance(field, serializers.DecimalField):
            schema = self._decimal_input(field, schema)
        return schema

    @staticmethod
    def _decimal_input(field: serializers.DecimalField, schema: dict) -> dict:
        """A decimal is read from a string ("12.5") or a JSON number (12.5), as DRF does."""
        text = {key: schema.pop(key) for key in ("type", "format", "pattern") if key in schema}
        number: dict[str, Any] = {"type": "number"}
        if field.min_value is not None:
            number["minimum"] = float(field.min_value)
        if field.max_value is not None:
            number["maximum"] = float(field.max_value)
        return {**schema, "anyOf": [number, text]}

    def _errors(self, operation: dict) -> dict[str, tuple[Any, str]]:
        located = {parameter["in"] for parameter in operation.get("parameters", [])}
        writes = self.method not in permissions.SAFE_METHODS
        signed_in = self._requires_sign_in()
        errors: dict[str, tuple[Any, str]] = {}
        if "requestBody" in operation or "query" in located:
            errors["400"] = (self._bad_input_schema(), "Bad input: the errors by field.")
        if "requestBody" in operation:
            errors["415"] = (ProblemSerializer, "A body in a media type this does not read.")
        if self.view.get_authenticators():
            errors["401"] = (ProblemSerializer, "Not signed in, or the token is not valid.")
        if (writes and signed_in) or self._restricted_by_role():
            errors["403"] = (ProblemSerializer, "Visible, but not yours to do.")
        if "path" in located or (self._is_list_view() and self._get_paginator()):
            errors["404"] = (ProblemSerializer, "Not found, or not visible to you.")
        if writes and signed_in:
            errors["409"] = (ProblemSerializer, "A rule said no in the current state.")
        if self.view.get_throttles():
            errors["429"] = (ProblemSerializer, "Too many requests; retry after a while.")
        return errors

    def _requires_sign_in(self) -> bool:
        return any(not isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def _restricted_by_role(self) -> bool:
        plain = (permissions.AllowAny, permissions.IsAuthenticated)
        return any(not isinstance(p, plain) for p in self.view.get_permissions())

    def _bad_input_schema(self) -> dict:
        component = ResolvedComponent(
            name="BadInput",
            type=ResolvedComponent.SCHEMA,
            object="BadInput",
            schema={
                "type": "object",
                "description": (
                    "Each field in error with its messages, for example "
                    '`{"title": ["This field may not be blank."]}`; errors of the input as a '
                    "whole under `non_field_errors`; a body that is not valid JSON as "
                    '`{"detail": …, "code": "parse_error"}`.'
                ),
                "additionalProperties": {
                    "anyOf": [
                        {"type": "array", "items": {}},
                        {"type": "object"},
                        {"type": "string"},
                    ]
                },
                "minProperties": 1,
            },
        )
        self.registry.register_on_missing(component)
        return component.ref
