"""Customer acceptance on the project page: its panel (the requests, the form to send one) and
the question before a request is cancelled."""

from typing import Any

from django.urls import reverse

from handoff.models import User
from handoff.web.confirm import Confirmation
from projects.acceptance import can_send_for_acceptance
from projects.acceptance_forms import AcceptanceSendForm
from projects.acceptance_models import AcceptanceRequest, AcceptanceStatus
from projects.acceptance_selectors import (
    deliverables_to_send,
    latest_decisions,
    project_acceptance_requests,
)
from projects.models import Project

PANEL_TEMPLATE = "projects/partials/acceptance_panel.html"


def cancel_confirmation(acceptance: AcceptanceRequest) -> Confirmation:
    return Confirmation(
        key=f"acceptance-cancel-{acceptance.pk}",
        question=f"Cancel the request to {acceptance.contact_name}?",
        url=reverse("projects:acceptance_cancel", args=[acceptance.pk]),
        label="Cancel request",
        cancel_url=reverse("projects:detail", args=[acceptance.deliverable.project_id])
        + "#acceptance",
        detail=(
            f"The link sent to {acceptance.contact_email} stops working for good. You can send "
            "a new request afterwards."
        ),
        css="secondary",
        opener_label="Cancel",
        opener_css="link-button",
        opener_aria_label=f"Cancel the request to {acceptance.contact_name}",
    )


def panel_context(
    project: Project, user: User, *, form: AcceptanceSendForm | None = None
) -> dict[str, Any]:
    """The project page's acceptance panel; `form` brings back the send form with its errors."""
    may_send = can_send_for_acceptance(project, user)
    requests = project_acceptance_requests(project)
    rows = [
        (
            request,
            cancel_confirmation(request)
            if may_send and request.status == AcceptanceStatus.PENDING
            else None,
        )
        for request in requests
    ]
    sendable = deliverables_to_send(project) if may_send else None
    if form is None and sendable is not None:
        form = AcceptanceSendForm(deliverables=sendable, auto_id="id_acceptance_%s")
    return {
        "acceptance_template": PANEL_TEMPLATE,
        "acceptance_rows": rows,
        "acceptance_form": form,
        "can_send_acceptance": may_send,
        "acceptance_sendable": sendable is not None and sendable.exists(),
        "acceptance_decisions": latest_decisions(project=project),
    }
