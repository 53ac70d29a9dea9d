"""Comments on a deal, and who their @mentions reach."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from deals.models import Comment, Deal
from deals.selectors import people_who_see
from deals.signals import comment_posted
from handoff.models import User
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
    named = list(User.objects.filter(username__in=names, is_active=True).exclude(pk=actor.pk))
    # Only people who may see the deal hear of it; the author is told who was left out.
    seeing = set(
        people_who_see(deal).filter(pk__in=[u.pk for u in named]).values_list("pk", flat=True)
    )
    mentioned = [user for user in named if user.pk in seeing]
    comment.not_notified = sorted(user.username for user in named if user.pk not in seeing)
    if mentioned:
        comment.mentions.set(mentioned)
    comment_posted.send(sender=Comment, comment=comment, mentioned=mentioned)
    return comment


def mentions_left_out(comment: Comment) -> str:
    """What to tell the author about the people named who cannot see the deal; blank if none."""
    names = [f"@{name}" for name in getattr(comment, "not_notified", [])]
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb = "cannot see this deal and was" if len(names) == 1 else "cannot see this deal and were"
    return f"{listed} {verb} not notified."
