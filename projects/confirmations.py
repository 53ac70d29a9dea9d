"""What the project pages ask before what cannot be undone: completing a project, accepting its
handoff, removing a checklist item or a week of time off. One question each, for the dialog on
the page and for the confirmation page without script (handoff.web.confirm)."""

from django.urls import reverse

from handoff.templatetags.formats import count, day
from handoff.web.confirm import Confirmation
from projects.models import CapacityException, KickoffItem, Project, ProjectStatus


def complete(project: Project, *, still_open: int = 0) -> Confirmation:
    detail = (
        "Completing closes the project for good: its deliverables, checklist and brief stay as "
        "they are, and its promises are scored as they stand."
    )
    if still_open:
        detail += (
            f" {count(still_open, 'deliverable')} {'is' if still_open == 1 else 'are'} still open: mark "
            "each delivered, missed or descoped first."
        )
    return Confirmation(
        key="complete",
        question="Complete this project?",
        url=reverse("projects:complete", args=[project.pk]),
        label="Complete project",
        cancel_url=project.get_absolute_url(),
        detail=detail,
        opener_css="secondary",
    )


def accept(project: Project) -> Confirmation:
    return Confirmation(
        key="accept",
        question="Accept the handoff?",
        url=reverse("projects:accept", args=[project.pk]),
        label="Accept handoff",
        cancel_url=project.get_absolute_url(),
        detail=(
            f"You take over {project.deal.title} from {project.deal.owner.display_name}: the "
            "project becomes active and cannot go back to kickoff. Send your questions first if "
            "the brief leaves any."
        ),
    )


def kickoff_remove(item: KickoffItem) -> Confirmation:
    return Confirmation(
        key=f"kickoff-{item.pk}",
        question=f"Remove “{item.text}” from the checklist?",
        url=reverse("projects:kickoff_remove", args=[item.pk]),
        label="Remove item",
        cancel_url=reverse("projects:detail", args=[item.project_id]) + "#kickoff",
        detail="The project's history keeps a line saying it was removed.",
        css="secondary",
        opener_label="Remove",
        opener_css="link-button",
        opener_aria_label=f"Remove {item.text}",
    )


def time_off_remove(exception: CapacityException) -> Confirmation:
    week = f"week {exception.week_start:%V} (from {day(exception.week_start)})"
    return Confirmation(
        key=f"time-off-{exception.pk}",
        question=f"Remove {week}?",
        url=reverse("projects:time_off_remove", args=[exception.pk]),
        label="Remove week",
        cancel_url=reverse("settings") + "#capacity",
        detail="Reviews will count your usual weekly capacity for that week again.",
        css="secondary",
        opener_label="Remove",
        opener_css="link-button",
        opener_aria_label=f"Remove week {exception.week_start:%V}",
    )


def may_run_kickoff(project: Project, user) -> bool:
    """The project's PM while it is not completed: the checklist, the handoff, the questions.

    The page's view of the rule projects.services enforces (the PM, an open project).
    """
    return project.pm_id == user.pk and project.status != ProjectStatus.COMPLETED
