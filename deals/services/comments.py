"""Comments on a deal, and who their @mentions reach."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from deals.models import Comment, Deal
from deals.selectors import people_who_see
from deals.signals import comment_posted
from handoff.models import Team, User
from handoff.validators import validate_field_values

MENTION = re.compile(r"(?<![\w.])@([\w.@+-]+)")


@transaction.atomic
def comment_add(*, deal: Deal, actor: User, body: str) -> Comment:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > 5000:
        raise ValidationError({"body": "Keep comments under 5,000 characters."})
    validate_field_values(Comment, {"body": body})
    comment = Comment.objects.create(deal=deal, author=actor, body=body)
    names = {m.rstrip(".") for m in MENTION.findall(body)}
    if not names:
        comment.not_notified = []
        comment_posted.send(sender=Comment, comment=comment, mentioned=[])
        return comment
    teams = teams_named(names)
    # People named and the members of teams named, in one query however many they are.
    reached = list(
        User.objects.filter(Q(username__in=names) | Q(teams__in=teams), is_active=True)
        .exclude(pk=actor.pk)
        .distinct()
        .order_by("pk")
    )
    # Only people who may see the deal hear of it; the author is told who was named and left
    # out (a team's members who may not see it are simply not told).
    seeing = set(
        people_who_see(deal).filter(pk__in=[u.pk for u in reached]).values_list("pk", flat=True)
    )
    mentioned = [user for user in reached if user.pk in seeing]
    comment.not_notified = sorted(
        user.username for user in reached if user.pk not in seeing and user.username in names
    )
    if mentioned:
        Comment.mentions.through.objects.bulk_create(
            Comment.mentions.through(comment_id=comment.pk, user_id=user.pk) for user in mentioned
        )
    comment_posted.send(sender=Comment, comment=comment, mentioned=mentioned)
    return comment


def team_handle(team: Team) -> str:
    """How a comment mentions a team: @ and its name in lowercase, dashes for spaces."""
    return slugify(team.name)


def teams_named(names: set[str]) -> list[int]:
    """The ids of the teams whose handle is one of `names` (any case). One query; teams are few."""
    wanted = {name.lower() for name in names}
    return [pk for pk, name in Team.objects.values_list("pk", "name") if slugify(name) in wanted]


def mentions_left_out(comment: Comment) -> str:
    """What to tell the author about the people named who cannot see the deal; blank if none."""
    names = [f"@{name}" for name in getattr(comment, "not_notified", [])]
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb = "cannot see this deal and was" if len(names) == 1 else "cannot see this deal and were"
    return f"{listed} {verb} not notified."
