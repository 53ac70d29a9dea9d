"""{% current_goals as shared %}: this quarter's shared goals with progress, for any page."""

from django import template

from insights.figures.goals import current_goals as goals_of_the_quarter

register = template.Library()


@register.simple_tag
def current_goals() -> dict:
    return goals_of_the_quarter()
