"""Every write with a rule on feedback notes, notifications and email preferences."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals.selectors import deals_visible_to
from feedback.models import (
    DEFAULT_EMAIL_PREFERENCES,
    Direction,
    EmailChoice,
    FeedbackNote,
    Notification,
    NotificationKind,
    Topic,
)
from feedback.notifications import notify, notify_note
from feedback.rules import RECIPIENT_ROLES, can_answer, directions_for
from handoff.errors import ActionForbidden, ConcurrentChange
from handoff.models import DigestFrequency, User
from handoff.roles import has_role
from handoff.validators import validate_field_values

MAX_BODY = 5000


@transaction.atomic
def note_create(
    *,
    author: User,
    direction: str,
    topic: str,
    body: str,
    recipient: User | None = None,
    deal: Any = None,
    commitment: Any = None,
    project: Any = None,
) -> FeedbackNote:
    allowed = directions_for(author)
    if not allowed:
        raise ActionForbidden("Your role cannot write feedback notes.")
    body = (body or "").strip()
    errors: dict[str, str] = {}
    if direction not in Direction.values:
        errors["direction"] = "Choose to sales or to delivery."
    elif direction not in allowed:
        errors["direction"] = f"You write notes {Direction(allowed[0]).label.lower()}."
    if topic not in Topic.values:
        errors["topic"] = "Choose a topic."
    if not body:
        errors["body"] = "Write the note."
    elif len(body) > MAX_BODY:
        errors["body"] = "Keep it under 5,000 characters."
    if recipient is not None and direction in RECIPIENT_ROLES:
        if not has_role(recipient, *RECIPIENT_ROLES[direction]) or not recipient.is_active:
            errors["recipient"] = (
                "Choose someone in delivery."
                if direction == Direction.TO_DELIVERY
                else "Choose someone in sales."
            )
        elif recipient.pk == author.pk:
            errors["recipient"] = "Choose someone else."
    if deal is not None and not deals_visible_to(author).filter(pk=deal.pk).exists():
        errors["deal"] = "Choose a deal you can see."
    if project is not None:
        if deal is not None and project.deal_id != deal.pk:
            errors["project"] = "This project did not come from that deal."
        deal = deal or project.deal
    if commitment is not None:
        if deal is not None and commitment.deal_id != deal.pk:
            errors["commitment"] = "This commitment belongs to another deal."
        deal = deal or commitment.deal
    if errors:
        raise ValidationError(errors)
    validate_field_values(FeedbackNote, {"body": body})
    note = FeedbackNote.objects.create(
        direction=direction,
        author=author,
        recipient=recipient,
        deal=deal,
        commitment=commitment,
        topic=topic,
        body=body,
        project=project,
    )
    notify_note(note)
    return note


def _lock_note(note: FeedbackNote) -> FeedbackNote:
    return (
        FeedbackNote.objects.select_for_update(of=("self",))
        .select_related("author", "deal", "recipient")
        .get(pk=note.pk)
    )


def _tell_author(note: FeedbackNote, actor: User, text: str) -> None:
    notify(
        recipients=[note.author],
        kind=NotificationKind.FEEDBACK_NOTE,
        text=text,
        url=note.get_absolute_url(),
        actor=actor,
        deal=note.deal,
        context={"topic_label": note.get_topic_display()},
    )


@transaction.atomic
def note_acknowledge(*, note: FeedbackNote, actor: User) -> FeedbackNote:
    note = _lock_note(note)
    if not can_answer(note, actor):
        raise ActionForbidden("Only the people this note was written to can acknowledge it.")
    if note.is_acknowledged:
        return note
    note.acknowledged_by = actor
    note.acknowledged_at = timezone.now()
    note.save(update_fields=["acknowledged_by", "acknowledged_at"])
    _tell_author(note, actor, f"{actor} acknowledged your note: {note.body[:100]}")
    return note


@transaction.atomic
def note_reply(*, note: FeedbackNote, actor: User, reply: str) -> FeedbackNote:
    note = _lock_note(note)
    if not can_answer(note, actor):
        raise ActionForbidden("Only the people this note was written to can reply.")
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": "Write your reply."})
    if len(reply) > MAX_BODY:
        raise ValidationError({"reply": "Keep it under 5,000 characters."})
    validate_field_values(FeedbackNote, {"reply": reply})
    if note.reply:
        raise ConcurrentChange(f"{note.replied_by} already replied to this note.", code="replied")
    now = timezone.now()
    note.reply, note.replied_by, note.replied_at = reply, actor, now
    fields = ["reply", "replied_by", "replied_at"]
    if not note.is_acknowledged:
        note.acknowledged_by, note.acknowledged_at = actor, now
        fields += ["acknowledged_by", "acknowledged_at"]
    note.save(update_fields=fields)
    _tell_author(note, actor, f"{actor} replied to your note: {reply[:120]}")
    return note


def notification_mark_read(*, notification: Notification, user: User) -> None:
    Notification.objects.filter(pk=notification.pk, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def preferences_update(
    *, user: User, digest_frequency: str, email_preferences: dict[str, str]
) -> User:
    errors = {}
    if digest_frequency not in DigestFrequency.values:
        errors["digest_frequency"] = "Choose daily, weekly or off."
    for category, choice in email_preferences.items():
        if category not in DEFAULT_EMAIL_PREFERENCES or choice not in EmailChoice.values:
            errors[category] = "Choose immediately, in the digest only, or off."
    if errors:
        raise ValidationError(errors)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.digest_frequency = digest_frequency
    user.email_preferences = {**(user.email_preferences or {}), **email_preferences}
    user.save(update_fields=["digest_frequency", "email_preferences"])
    return user
