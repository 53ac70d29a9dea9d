"""Lessons in context: what history says about a kind of commitment, shown as a rep writes one.

Three queries whatever the history's size: the verdicts, the resolved deliverables,
and the latest delivery notes about commitments of that kind.
"""

from dataclasses import dataclass, field
from statistics import median

from django.db.models import Count, Q

from deals.models import CommitmentKind, Verdict, VerdictKind
from feedback.models import Direction, FeedbackNote
from feedback.selectors import notes_visible_to
from handoff.models import User

NOTES_SHOWN = 3


@dataclass
class KindLessons:
    kind: str
    label: str
    ruled: int = 0
    flagged: int = 0
    resolved: int = 0
    kept: int = 0
    median_slip_days: float | None = None
    notes: list[FeedbackNote] = field(default_factory=list)

    @property
    def flagged_share(self) -> float | None:
        return self.flagged / self.ruled if self.ruled else None

    @property
    def kept_rate(self) -> float | None:
        return self.kept / self.resolved if self.resolved else None

    @property
    def has_history(self) -> bool:
        return bool(self.ruled or self.resolved or self.notes)


def for_kind(user: User, kind: str) -> KindLessons | None:
    """None for an unknown kind.

    The counts span every deal, since they are the firm's history and name no one; the notes
    are only those the user may read.
    """
    if not user.is_authenticated or kind not in CommitmentKind.values:
        return None
    lessons = KindLessons(kind=kind, label=CommitmentKind(kind).label)
    verdicts = Verdict.objects.filter(commitment__kind=kind).aggregate(
        ruled=Count("pk"), flagged=Count("pk", filter=Q(verdict=VerdictKind.FLAGGED))
    )
    lessons.ruled, lessons.flagged = verdicts["ruled"], verdicts["flagged"]

    from projects.models import RESOLVED_DELIVERABLE_STATUSES, Deliverable, DeliverableStatus

    resolved = list(
        Deliverable.objects.filter(kind=kind, status__in=RESOLVED_DELIVERABLE_STATUSES).values_list(
            "status", "slip_days"
        )
    )
    lessons.resolved = len(resolved)
    lessons.kept = sum(
        1 for status, slip in resolved if status == DeliverableStatus.DELIVERED and slip == 0
    )
    slips = [slip for _, slip in resolved if slip is not None]
    lessons.median_slip_days = median(slips) if slips else None

    lessons.notes = list(
        notes_visible_to(user)
        .filter(direction=Direction.TO_SALES, commitment__kind=kind)
        .order_by("-created_at", "-id")[:NOTES_SHOWN]
    )
    return lessons
