"""What the delivery-truth actions ask first: approving a change to a promise, removing a time
entry. One question each, for the dialog on the project page and the page without script."""

from django.urls import reverse

from handoff.web.confirm import Confirmation
from projects.models import ChangeRequest, TimeEntry


def change_approve(change: ChangeRequest) -> Confirmation:
    summary = change.deliverable.summary
    return Confirmation(
        key=f"change-{change.pk}",
        question=f"Approve the change to “{summary}”?",
        url=reverse("projects:change_approve", args=[change.pk]),
        label="Approve change",
        cancel_url=reverse("projects:detail", args=[change.deliverable.project_id]) + "#changes",
        detail=(
            f"{change.what.capitalize()}. Once every approval it needs is in, the promise is "
            "renegotiated for good; the promise as sold stays on record and is still scored."
        ),
        opener_label="Approve",
        opener_aria_label=f"Approve the change to {summary}",
    )


def time_entry_remove(entry: TimeEntry) -> Confirmation:
    return Confirmation(
        key=f"time-{entry.pk}",
        question=f"Remove {entry.hours.normalize():f} hours on {entry.day.isoformat()}?",
        url=reverse("projects:time_entry_remove", args=[entry.pk]),
        label="Remove entry",
        cancel_url=reverse("projects:detail", args=[entry.deliverable.project_id]) + "#time",
        detail="The project's history keeps a line saying it was removed.",
        css="secondary",
        opener_label="Remove",
        opener_css="link-button",
        opener_aria_label=f"Remove the entry of {entry.day.isoformat()} on {entry.deliverable}",
    )
