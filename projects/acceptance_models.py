"""Customer acceptance: a delivered deliverable put to a named customer contact, who accepts or
declines it through a signed, expiring, single-use link and rates it 1-5."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from handoff.validators import multi_line, single_line, within_years

MAX_CONTACT_NAME = 120
MAX_COMMENT = 2000
MIN_RATING, MAX_RATING = 1, 5


class AcceptanceStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the customer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


DECIDED_STATUSES = frozenset({AcceptanceStatus.ACCEPTED, AcceptanceStatus.DECLINED})


class AcceptanceRequest(models.Model):
    # By name: projects.models imports this module at its end.
    deliverable = models.ForeignKey(
        "projects.Deliverable", on_delete=models.CASCADE, related_name="acceptance_requests"
    )
    contact_name = models.CharField(max_length=MAX_CONTACT_NAME, validators=[single_line])
    contact_email = models.EmailField(max_length=254)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    times_sent = models.PositiveSmallIntegerField(default=1)
    # The delivery date the contact is asked about: a link stops working once it changes.
    delivered_on = models.DateField(validators=[within_years])
    # The nonce of the one link that works now; resending replaces it, so older links stop.
    nonce = models.CharField(max_length=32, unique=True, editable=False)
    # Set only by projects.acceptance.
    status = models.CharField(
        max_length=12,
        choices=AcceptanceStatus.choices,
        default=AcceptanceStatus.PENDING,
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_RATING), MaxValueValidator(MAX_RATING)],
    )
    comment = models.TextField(blank=True, max_length=MAX_COMMENT, validators=[multi_line])
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AcceptanceStatus.values), name="acceptance_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True)
                | (Q(rating__gte=MIN_RATING) & Q(rating__lte=MAX_RATING)),
                name="acceptance_rating_range",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=DECIDED_STATUSES)
                | (Q(decided_at__isnull=False) & Q(rating__isnull=False)),
                name="acceptance_decided_has_time_and_rating",
            ),
            models.UniqueConstraint(
                fields=["deliverable"],
                condition=Q(status=AcceptanceStatus.PENDING),
                name="acceptance_one_pending_per_deliverable",
            ),
        ]
        indexes = [
            models.Index(fields=["deliverable", "-sent_at"], name="acceptance_deliverable_idx"),
            models.Index(fields=["status", "decided_at"], name="acceptance_decided_idx"),
            models.Index(fields=["-sent_at", "-id"], name="acceptance_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deliverable} · {self.contact_name}"

    @property
    def is_expired(self) -> bool:
        return self.status == AcceptanceStatus.PENDING and self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        """pending, expired, accepted, declined or cancelled: for styles and data attributes."""
        return "expired" if self.is_expired else self.status

    @property
    def state_label(self) -> str:
        return "Link expired" if self.is_expired else self.get_status_display()


class AcceptanceLinkUse(models.Model):
    """A link used once: its nonce is written here, unique, before the decision is."""

    nonce = models.CharField(max_length=32, unique=True)
    request = models.ForeignKey(AcceptanceRequest, on_delete=models.CASCADE, related_name="uses")
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-used_at", "-id"]

    def __str__(self) -> str:
        return f"{self.request_id} used {self.used_at:%Y-%m-%d %H:%M}"
