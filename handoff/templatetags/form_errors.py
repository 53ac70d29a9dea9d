"""The error summary at the top of a form: what was wrong, each field's error linked to it."""

from typing import Any

from django import template

register = template.Library()

# Widgets drawn as several inputs, whose first input is the one to go to.
SEVERAL_INPUTS = ("radioselect", "checkboxselectmultiple")


def _target(field) -> str:
    if field.is_hidden:
        return ""
    return f"{field.auto_id}_0" if field.widget_type in SEVERAL_INPUTS else field.auto_id


def _field_errors(form, prefix: str = "") -> list[dict[str, str]]:
    return [
        {"label": f"{prefix}{field.label}", "error": error, "target": _target(field)}
        for field in form
        for error in field.errors
    ]


@register.simple_tag
def error_summary(form, formset=None, row_label: str = "Row") -> dict[str, Any]:
    """{"general": [...], "fields": [{"label", "error", "target"}], "any": bool} for the partial.

    A name the page does not define arrives as "" and has no errors.
    """
    has_errors = bool(getattr(form, "errors", None))
    general = list(form.non_field_errors()) if has_errors else []
    fields = _field_errors(form) if has_errors else []
    if getattr(formset, "is_bound", False):
        general += list(formset.non_form_errors())
        for number, row in enumerate(formset.forms, start=1):
            general += [f"{row_label} {number}: {error}" for error in row.non_field_errors()]
            fields += _field_errors(row, f"{row_label} {number}, ")
    return {"general": general, "fields": fields, "any": bool(general or fields)}
