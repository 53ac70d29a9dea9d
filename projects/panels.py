"""Panels other apps add to the project page: each a function (project, user) -> context.

Feedback adds its notes from its apps.py; the project page asks only this registry, so
projects never imports feedback.
"""

from collections.abc import Callable
from typing import Any

from handoff.models import User
from projects.models import Project

ProjectPanel = Callable[[Project, User], dict[str, Any]]
PROJECT_PAGE_PANELS: list[ProjectPanel] = []


def register_project_panel(panel: ProjectPanel) -> None:
    if panel not in PROJECT_PAGE_PANELS:
        PROJECT_PAGE_PANELS.append(panel)


def project_panels_context(project: Project, user: User) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for panel in PROJECT_PAGE_PANELS:
        context.update(panel(project, user))
    return context
