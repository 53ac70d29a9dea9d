"""Registries for apps above insights: cards on the home page, panels on the dashboard.

The app registers from its apps.py; insights asks only these lists, so it never imports it.
"""

from collections.abc import Callable
from typing import Any

# (user) -> list of insights.home.Card, added after the role's own cards.
HomeCards = Callable[[Any], list]
HOME_CARDS: list[HomeCards] = []

# (window) -> {"template": ..., **context} drawn at the end of the dashboard's results.
DashboardPanel = Callable[[Any], dict[str, Any]]
DASHBOARD_PANELS: list[DashboardPanel] = []


def register_home_cards(provider: HomeCards) -> None:
    if provider not in HOME_CARDS:
        HOME_CARDS.append(provider)


def register_dashboard_panel(panel: DashboardPanel) -> None:
    if panel not in DASHBOARD_PANELS:
        DASHBOARD_PANELS.append(panel)


def extra_home_cards(user: Any) -> list:
    return [card for provider in HOME_CARDS for card in provider(user)]


def dashboard_panels(window: Any) -> list[dict[str, Any]]:
    return [panel(window) for panel in DASHBOARD_PANELS]
