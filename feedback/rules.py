"""Who may write and answer feedback notes, and which emails each role can get: one predicate
each, for the services to refuse and the pages to show a form."""

from feedback.models import Direction, EmailCategory, FeedbackNote
from handoff.models import Role, User
from handoff.roles import is_manager, is_pm, is_sales

# Who a note may be addressed to, by its direction: delivery for delivery, sales for sales,
# and the managers who lead both; never an operator.
RECIPIENT_ROLES: dict[str, tuple[str, ...]] = {
    Direction.TO_DELIVERY: (Role.PM, Role.MANAGER),
    Direction.TO_SALES: (Role.SALES, Role.MANAGER),
}


def directions_for(user: User) -> list[str]:
    """Sales writes to delivery, delivery to sales; managers both ways."""
    if is_manager(user):
        return [Direction.TO_DELIVERY, Direction.TO_SALES]
    if is_pm(user):
        return [Direction.TO_SALES]
    if is_sales(user):
        return [Direction.TO_DELIVERY]
    return []


def can_answer(note: FeedbackNote, user: User) -> bool:
    """The recipient, or anyone of the receiving team when the note went to the team."""
    if note.author_id == user.pk:
        return False
    if note.recipient_id:
        return note.recipient_id == user.pk or is_manager(user)
    if is_manager(user):
        return True
    if note.direction == Direction.TO_DELIVERY:
        return is_pm(user)
    return is_sales(user) and (note.deal_id is None or note.deal.owner_id == user.pk)


# Which roles each email category can reach (feedback.notifications sends them): a rep is not
# offered review reminders, a manager neither outcomes nor deliverables, which never reach them.
# Every category is listed; a test holds that, so a new one must say whom it concerns.
EMAIL_CATEGORY_ROLES: dict[str, tuple[str, ...]] = {
    "reviews": (Role.SALES, Role.PM, Role.MANAGER),  # a rep hears who claimed the review
    "queue": (Role.PM,),
    "reminders": (Role.PM, Role.MANAGER),
    "outcomes": (Role.SALES, Role.PM),
    "escalations": (Role.SALES, Role.PM, Role.MANAGER),
    "delivery": (Role.SALES, Role.PM),
    "feedback": (Role.SALES, Role.PM, Role.MANAGER),
    "mentions": (Role.SALES, Role.PM, Role.MANAGER, Role.ADMIN),
    "integrations": (Role.MANAGER,),  # the manager who owns a webhook or chat channel
}


def email_categories_for(user: User) -> list[str]:
    """The email categories that can reach this user, in the order they are listed."""
    return [c for c in EmailCategory if user.role in EMAIL_CATEGORY_ROLES.get(c, ())]
