"""Who may do what, by role: the one place views, templates and the API ask."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from handoff.models import Role

SEES_EVERYTHING = frozenset({Role.MANAGER, Role.ADMIN})


def has_role(user: Any, *roles: str) -> bool:
    return bool(user and user.is_authenticated and user.role in roles)


def is_sales(user: Any) -> bool:
    return has_role(user, Role.SALES)


def is_pm(user: Any) -> bool:
    return has_role(user, Role.PM)


def is_manager(user: Any) -> bool:
    """Managers and operators see everything."""
    return has_role(user, *SEES_EVERYTHING)


def can_review(user: Any) -> bool:
    return has_role(user, Role.PM, *SEES_EVERYTHING)


def navigation_for(user: Any) -> list[tuple[str, str]]:
    """The main navigation a user sees: (label, url name)."""
    if not (user and user.is_authenticated):
        return []
    items = [("Deals", "deals:list")]
    if can_review(user):
        items.append(("Review queue", "deals:queue"))
    items += [
        ("Projects", "projects:list"),
        ("Feedback", "feedback:inbox"),
        ("Meetings", "meetings:list"),
    ]
    if is_manager(user):
        items.append(("Dashboard", "dashboard"))
    return items


def role_required(*roles: str) -> Callable:
    """View decorator: signed-in users outside `roles` get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role cannot open this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class HasRole(BasePermission):
    """DRF permission: `HasRole.of("manager", "admin")`."""

    roles: tuple[str, ...] = ()
    message = "Your role cannot use this endpoint."

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, *self.roles)

    @classmethod
    def of(cls, *roles: str) -> type["HasRole"]:
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": roles})
