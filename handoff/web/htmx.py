"""htmx answers: one partial of a page for an htmx swap, the whole page otherwise."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def wants_partial(request: HttpRequest) -> bool:
    """An htmx swap of part of the page; restoring history after a reload needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def htmx_partial(
    request: HttpRequest,
    template_name: str,
    partial: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render `template_name#partial` for an htmx swap, else the whole `template_name`."""
    name = f"{template_name}#{partial}" if wants_partial(request) else template_name
    return render(request, name, context, status=status)
