"""`{% acceptance_note d %}`: what the customer said of a deliverable, in its row."""

from typing import Any

from django import template

from projects.acceptance_selectors import latest_decisions

register = template.Library()


@register.inclusion_tag("projects/partials/acceptance_note.html", takes_context=True)
def acceptance_note(context: Any, deliverable: Any) -> dict[str, Any]:
    """The latest decision of the deliverable: from the page's map, else one query (a row
    drawn alone, after an update in place)."""
    decisions = context.get("acceptance_decisions")
    if decisions is None:
        decisions = latest_decisions(deliverable_ids=[deliverable.pk])
    return {"decision": decisions.get(deliverable.pk), "d": deliverable}
