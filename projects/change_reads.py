"""Reads of change requests that need no user: their approvals, their requirements' states,
a deal's list. Both the user-scoped selectors and the deal page build on it."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from projects.models import ChangeApproval, ChangeRequest


def with_approvals(changes: QuerySet[ChangeRequest]) -> QuerySet[ChangeRequest]:
    return changes.select_related(
        "deliverable__project", "raised_by", "decided_by"
    ).prefetch_related(
        Prefetch("approvals", queryset=ChangeApproval.objects.select_related("approver"))
    )


def deal_change_requests(deal_id: int) -> list[ChangeRequest]:
    return list(
        with_approvals(
            ChangeRequest.objects.filter(deliverable__project__deal_id=deal_id)
        ).order_by("-created_at", "-id")
    )


def requirement_states(
    change: ChangeRequest, approvals: list[ChangeApproval] | None = None
) -> list[dict[str, Any]]:
    """Each requirement with the approvers that met it and whether it is met."""
    approvals = list(change.approvals.all()) if approvals is None else approvals
    states = []
    for requirement in change.requirements:
        givers = [a.approver for a in approvals if requirement["key"] in a.requirement_keys]
        states.append(
            {**requirement, "approvers": givers, "met": len(givers) >= requirement["required"]}
        )
    return states


def deal_change_rows(deal_id: int) -> list[dict[str, Any]]:
    """The deal page's list of changes: each with its requirements' states, no actions."""
    return [
        {"change": change, "requirements": requirement_states(change, list(change.approvals.all()))}
        for change in deal_change_requests(deal_id)
    ]
