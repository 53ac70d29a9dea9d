"""Panels other apps add to the deal page: each a function (request, deal) -> context.

The projects app adds the capacity check and the promises, feedback its notes, from their
apps.py; the deal page asks only this registry, so deals never imports them.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from deals.models import Deal

DealPanel = Callable[[HttpRequest, Deal], dict[str, Any]]
DEAL_PAGE_PANELS: list[DealPanel] = []


def register_deal_panel(panel: DealPanel) -> None:
    if panel not in DEAL_PAGE_PANELS:
        DEAL_PAGE_PANELS.append(panel)


def deal_panels_context(request: HttpRequest, deal: Deal) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for panel in DEAL_PAGE_PANELS:
        context.update(panel(request, deal))
    return context
