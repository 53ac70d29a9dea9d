"""Reads of delivery truth scoped to the user: time entries, change requests, effort per
deliverable. Whoever sees a project sees its entries and changes; no one else does."""

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from handoff.models import User
from projects.change_reads import with_approvals
from projects.models import (
    HOURS_PER_DAY,
    ChangeRequest,
    ChangeRequestStatus,
    ChangeSide,
    Deliverable,
    Project,
    TimeEntry,
)
from projects.selectors import projects_visible_to

# Overrun: actual effort past the plan (or the sold effort), in person-days.
ZERO = Decimal("0")


def time_entries_visible_to(user: User) -> QuerySet[TimeEntry]:
    return TimeEntry.objects.filter(
        deliverable__project__in=projects_visible_to(user).values("pk")
    ).select_related("person", "created_by", "deliverable")


def time_entry_get_for_user(user: User, pk: int | str) -> TimeEntry:
    return get_object_or_404(time_entries_visible_to(user), pk=pk)


def change_requests_visible_to(user: User) -> QuerySet[ChangeRequest]:
    return with_approvals(
        ChangeRequest.objects.filter(
            deliverable__project__in=projects_visible_to(user).values("pk")
        )
    )


def change_request_get_for_user(user: User, pk: int | str) -> ChangeRequest:
    return get_object_or_404(change_requests_visible_to(user), pk=pk)


class TimeEntryFilter(django_filters.FilterSet):
    # Plain ids: an unknown one is an empty list, not a validation error.
    deliverable = django_filters.NumberFilter(field_name="deliverable_id")
    project = django_filters.NumberFilter(field_name="deliverable__project_id")
    person = django_filters.NumberFilter(field_name="person_id")
    day_from = django_filters.DateFilter(field_name="day", lookup_expr="gte")
    day_to = django_filters.DateFilter(field_name="day", lookup_expr="lte")

    class Meta:
        model = TimeEntry
        fields = ["deliverable", "project", "person", "day_from", "day_to"]


class ChangeRequestFilter(django_filters.FilterSet):
    deliverable = django_filters.NumberFilter(field_name="deliverable_id")
    project = django_filters.NumberFilter(field_name="deliverable__project_id")
    deal = django_filters.NumberFilter(field_name="deliverable__project__deal_id")
    status = django_filters.ChoiceFilter(choices=ChangeRequestStatus.choices)
    side = django_filters.ChoiceFilter(choices=ChangeSide.choices)

    class Meta:
        model = ChangeRequest
        fields = ["deliverable", "project", "deal", "status", "side"]


def time_entry_list(*, user: User, filters: Any = None) -> QuerySet[TimeEntry]:
    return TimeEntryFilter(filters or {}, time_entries_visible_to(user)).qs.order_by("-day", "-id")


def change_request_list(*, user: User, filters: Any = None) -> QuerySet[ChangeRequest]:
    return ChangeRequestFilter(filters or {}, change_requests_visible_to(user)).qs.order_by(
        "-created_at", "-id"
    )


# Effort on the project page and in the API


def with_logged_hours(deliverables: QuerySet[Deliverable]) -> QuerySet[Deliverable]:
    """Each deliverable with `actual_hours`, the hours entered on it, in the same query."""
    logged = (
        TimeEntry.objects.filter(deliverable=OuterRef("pk"))
        .order_by()
        .values("deliverable")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    return deliverables.annotate(actual_hours=Coalesce(Subquery(logged[:1]), Value(Decimal("0"))))


def logged_hours(deliverable_ids: list[int]) -> dict[int, Decimal]:
    """Hours entered per deliverable, in one query."""
    rows = (
        TimeEntry.objects.filter(deliverable_id__in=deliverable_ids)
        .order_by()
        .values("deliverable_id")
        .annotate(total=Sum("hours"))
    )
    return {row["deliverable_id"]: row["total"] for row in rows}


def effort_of(deliverable: Deliverable, hours: Decimal | None) -> dict[str, Any]:
    """Sold, estimated, planned and actual person-days of one deliverable, and the overrun."""
    actual = (hours or ZERO) / HOURS_PER_DAY
    planned = deliverable.planned_days
    return {
        "sold": deliverable.effort_days,
        "estimate": deliverable.estimate_days,
        "renegotiated": deliverable.renegotiated_effort_days,
        "planned": planned,
        "actual": actual,
        "hours": hours or ZERO,
        "overrun": max(ZERO, actual - planned),
        "overrun_sold": max(ZERO, actual - deliverable.effort_days),
        "remaining": max(ZERO, planned - actual),
    }


def attach_effort(deliverables: list[Deliverable]) -> list[Deliverable]:
    """Sets `effort` on each deliverable (effort_of), in one query for all of them."""
    hours = logged_hours([d.pk for d in deliverables])
    for deliverable in deliverables:
        deliverable.effort = effort_of(deliverable, hours.get(deliverable.pk))
    return deliverables


def project_time_entries(project: Project) -> QuerySet[TimeEntry]:
    """The project's entries, newest day first."""
    return (
        TimeEntry.objects.filter(deliverable__project=project)
        .select_related("person", "deliverable", "created_by")
        .order_by("-day", "-id")
    )


def project_change_requests(project: Project) -> list[ChangeRequest]:
    return list(
        with_approvals(ChangeRequest.objects.filter(deliverable__project=project)).order_by(
            "-created_at", "-id"
        )
    )
