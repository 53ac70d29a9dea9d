"""{% current_goals as shared %}: this quarter's shared goals with progress, for any page."""

from django import template

from handoff import metrics

register = template.Library()


@register.simple_tag
def current_goals() -> dict:
    return metrics.current_goals()
