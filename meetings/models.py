"""The weekly sync: meetings, their frozen agenda, decisions, action items and carry-overs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from deals.models import Commitment, Deal, Escalation, ReviewRound
from feedback.models import FeedbackNote
from handoff.audit import AppendOnlyModel
from handoff.models import Team
from handoff.templatetags.formats import day
from handoff.validators import multi_line, single_line
from projects.models import Deliverable, Project

ALL_TEAMS = "all"


class MeetingKind(models.TextChoices):
    WEEKLY = "weekly", "Weekly sync"
    ON_DEMAND = "on_demand", "On demand"


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Ready to start"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"


class Meeting(models.Model):
    """One sync of a sales team and a delivery team (or of everyone), with its agenda."""

    kind = models.CharField(max_length=16, choices=MeetingKind.choices, default=MeetingKind.WEEKLY)
    status = models.CharField(
        max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    held_on = models.DateField()
    week_of = models.DateField(help_text="The Monday of the meeting's week.")
    sales_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivery_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # "s<id>-d<id>", "all" for none: one weekly meeting per pair and week, nulls included.
    team_key = models.CharField(max_length=40, default=ALL_TEAMS, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    minutes_sent_to = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["week_of", "team_key"],
                condition=Q(kind="weekly"),
                name="meeting_one_weekly_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MeetingStatus.values), name="meeting_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MeetingKind.values), name="meeting_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="scheduled") | Q(started_at__isnull=False),
                name="meeting_started_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="meeting_closed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "held_on"], name="meeting_status_held_idx"),
            models.Index(fields=["team_key", "held_on"], name="meeting_team_held_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("meetings:detail", args=[self.pk])

    @property
    def teams_label(self) -> str:
        names = [team.name for team in (self.sales_team, self.delivery_team) if team]
        return " and ".join(names) if names else "All teams"

    @property
    def title(self) -> str:
        kind = "Weekly sync" if self.kind == MeetingKind.WEEKLY else "Sync"
        return f"{kind} of {day(self.held_on)}, {self.teams_label}"

    @property
    def is_scheduled(self) -> bool:
        return self.status == MeetingStatus.SCHEDULED

    @property
    def is_running(self) -> bool:
        return self.status == MeetingStatus.IN_PROGRESS

    @property
    def is_closed(self) -> bool:
        return self.status == MeetingStatus.CLOSED


def team_key(sales_team: Team | None, delivery_team: Team | None) -> str:
    if sales_team is None and delivery_team is None:
        return ALL_TEAMS
    sales = sales_team.pk if sales_team else "any"
    delivery = delivery_team.pk if delivery_team else "any"
    return f"s{sales}-d{delivery}"


class Attendee(models.Model):
    """Who is invited; `present` is recorded when the meeting closes."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="attendee_once_per_meeting")
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.meeting_id}"


class ItemAction(models.TextChoices):
    """What the meeting can do about an item, through the same services as everywhere else."""

    NONE = "", "Nothing to do from here"
    REASSIGN_REVIEW = "reassign_review", "Reassign the review"
    DECIDE_ESCALATION = "decide_escalation", "Decide the escalation"
    MARK_AT_RISK = "mark_at_risk", "Mark a deliverable at risk"
    ACKNOWLEDGE_NOTE = "acknowledge_note", "Acknowledge the note"
    CLOSE_ACTION_ITEM = "close_action_item", "Mark the action item done"


# Links of a snapshot row: kept as plain ids (no constraint), so a row is never rewritten
# when what it names changes or goes; the live link then answers for itself.
def _link(model, related_name="+"):
    return models.ForeignKey(
        model,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name=related_name,
    )


class AgendaItem(AppendOnlyModel):
    """One item of the agenda as it stood when the meeting started. Written once."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField()
    section = models.CharField(max_length=40)
    section_title = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    detail = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=24, choices=ItemAction.choices, blank=True)
    carried_times = models.PositiveSmallIntegerField(default=0)
    deal = _link(Deal, "meeting_items")
    commitment = _link(Commitment)
    review_round = _link(ReviewRound)
    escalation = _link(Escalation)
    project = _link(Project, "meeting_items")
    deliverable = _link(Deliverable)
    note = _link(FeedbackNote)
    action_item = _link("ActionItem", "agenda_entries")

    class Meta(AppendOnlyModel.Meta):
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_item_position")
        ]

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    """What the meeting decided on one item, and the action it took there, if any."""

    agenda_item = models.OneToOneField(
        AgendaItem, on_delete=models.PROTECT, related_name="decision"
    )
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    note = models.TextField(max_length=2000, blank=True, validators=[multi_line])
    action_taken = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agenda_item__position"]

    def __str__(self) -> str:
        return self.note[:60] or self.action_taken


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class ActionItem(models.Model):
    """Something someone will do after the meeting, by a date, carried until done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="action_items")
    agenda_item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.PROTECT, related_name="action_items"
    )
    what = models.CharField(max_length=200, validators=[single_line])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    due_on = models.DateField()
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    commitment = models.ForeignKey(
        Commitment, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    note = models.ForeignKey(
        FeedbackNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=8, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ActionItemStatus.values), name="action_item_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(closed_at__isnull=False),
                name="action_item_done_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="action_item_owner_idx"),
            models.Index(fields=["status", "due_on"], name="action_item_status_due_idx"),
        ]

    def __str__(self) -> str:
        return self.what

    def get_absolute_url(self) -> str:
        return f"{reverse('meetings:action_items')}?status=all#action-item-{self.pk}"

    @property
    def is_done(self) -> bool:
        return self.status == ActionItemStatus.DONE

    @property
    def is_overdue(self) -> bool:
        return not self.is_done and self.due_on < timezone.localdate()

    @property
    def closed_on_time(self) -> bool | None:
        if not self.is_done or self.closed_at is None:
            return None
        return timezone.localdate(self.closed_at) <= self.due_on


class CarryOver(AppendOnlyModel):
    """An overdue action item carried into a meeting: once per meeting, by its unique pair."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="carry_overs")
    action_item = models.ForeignKey(
        ActionItem, on_delete=models.PROTECT, related_name="carry_overs"
    )
    carried_at = models.DateTimeField(default=timezone.now)

    class Meta(AppendOnlyModel.Meta):
        ordering = ["carried_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "action_item"], name="carry_over_once_per_meeting"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action_item_id} into {self.meeting_id}"


class MeetingEventKind(models.TextChoices):
    CREATED = "created", "Meeting created"
    ATTENDEES_CHANGED = "attendees_changed", "Attendees changed"
    STARTED = "started", "Meeting started"
    DECIDED = "decided", "Item decided"
    ACTION_TAKEN = "action_taken", "Action taken in the meeting"
    ACTION_ITEM_ADDED = "action_item_added", "Action item added"
    ACTION_ITEM_DONE = "action_item_done", "Action item done"
    ACTION_ITEM_REOPENED = "action_item_reopened", "Action item reopened"
    CARRIED = "carried", "Action items carried over"
    CLOSED = "closed", "Meeting closed"


class MeetingEvent(AppendOnlyModel):
    """The meeting's audit trail: written once by the services, never edited or deleted."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=24, choices=MeetingEventKind.choices)
    data = models.JSONField(default=dict, blank=True)

    class Meta(AppendOnlyModel.Meta):
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["meeting", "at"], name="meeting_event_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.meeting_id}"
