"""Comments on a deal, and who their @mentions reach."""

import re

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
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
        comment_posted.send(sender=Comment, comment=comment, mentioned=0)
        return comment
    teams = teams_named(names)
    # The people named, with whether each may see the deal: the author is told who was named
    # and left out (a team's members who may not see it are simply not told).
    seeing = people_who_see(deal).filter(pk=OuterRef("pk"))
    named = (
        User.objects.filter(username__in=names, is_active=True)
        .exclude(pk=actor.pk)
        .annotate(sees=Exists(seeing))
        .values_list("username", "sees")
    )
    comment.not_notified = sorted(username for username, sees in named if not sees)
    # Everyone reached who may see the deal, a whole team included, in one INSERT … SELECT.
    members = Team.members.through.objects.filter(team_id__in=teams).values("user_id")
    audience = (
        people_who_see(deal)
        .filter(Q(username__in=names) | Q(pk__in=members))
        .exclude(pk=actor.pk)
        .values_list("pk")
    )
    mentioned = _insert_mentions(comment, audience)
    comment_posted.send(sender=Comment, comment=comment, mentioned=mentioned)
    return comment


def _insert_mentions(comment: Comment, users: QuerySet) -> int:
    """Write a mention of `comment` for each user id `users` selects; how many it wrote."""
    through = Comment.mentions.through
    sql, params = users.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {through._meta.db_table} (comment_id, user_id) "  # noqa: S608 - names from the model  # nosec B608
            f"SELECT %s, audience.* FROM ({sql}) AS audience",
            [comment.pk, *params],
        )
        return cursor.rowcount


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
