"""Customer acceptance, every write: send a delivered deliverable to a customer contact, send
it again, cancel it, and the contact's decision through the link.

Each runs in a transaction, locks the project first (as projects.services does), writes a
ProjectEvent and refuses with a DomainError (409), ActionForbidden (403), ValidationError (400)
or, for the link, LinkRefused. The contact's email is written by the receiver of
`acceptance_link_sent` (the feedback app's outbox) in the same transaction.
"""

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from handoff.errors import ActionForbidden, DomainError
from handoff.models import User
from handoff.roles import is_manager, is_pm
from handoff.templatetags.formats import day
from handoff.validators import validate_field_values
from projects import services
from projects.acceptance_links import (
    LINK_DAYS,
    LinkRefused,
    acceptance_token,
    check_usable,
    new_nonce,
    not_found,
    read_token,
)
from projects.acceptance_models import (
    MAX_COMMENT,
    MAX_CONTACT_NAME,
    MAX_RATING,
    MIN_RATING,
    AcceptanceLinkUse,
    AcceptanceRequest,
    AcceptanceStatus,
)
from projects.models import (
    Deliverable,
    DeliverableStatus,
    Project,
    ProjectEventKind,
    ProjectStatus,
)

# sender=AcceptanceRequest, acceptance=<AcceptanceRequest>, token=<str>, resent=<bool>.
# Receivers write the contact's email in the sender's transaction and send it on commit.
acceptance_link_sent = Signal()

# A request goes out at most this many times (the first send included).
MAX_SENDS = 5


def can_send_for_acceptance(project: Project, user: User) -> bool:
    """The project's PM or a manager, while the project is open."""
    return (
        (is_pm(user) or is_manager(user))
        and services.can_lead_delivery(project, user)
        and project.status != ProjectStatus.COMPLETED
    )


def _require_sender(project: Project, actor: User) -> None:
    if not (is_pm(actor) or is_manager(actor)) or not services.can_lead_delivery(project, actor):
        raise ActionForbidden(
            "Only the project's manager or a manager can send deliverables for customer acceptance."
        )


def _lock_request(acceptance: AcceptanceRequest) -> tuple[Project, AcceptanceRequest]:
    project = services._lock(acceptance.deliverable.project_id)
    locked = (
        AcceptanceRequest.objects.select_for_update()
        .select_related("deliverable")
        .get(pk=acceptance.pk)
    )
    return project, locked


def _contact(name: Any, email: Any) -> tuple[str, str]:
    name = " ".join(str(name or "").split())
    email = str(email or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["contact_name"] = "Give the customer contact's name."
    elif len(name) > MAX_CONTACT_NAME:
        errors["contact_name"] = f"Keep the name under {MAX_CONTACT_NAME} characters."
    if not email:
        errors["contact_email"] = "Give the customer contact's email address."
    elif len(email) > 254:
        errors["contact_email"] = "Keep the email address under 254 characters."
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["contact_email"] = "Enter a valid email address."
    if errors:
        raise ValidationError(errors)
    validate_field_values(AcceptanceRequest, {"contact_name": name, "contact_email": email})
    local, _, domain = email.rpartition("@")
    return name, f"{local}@{domain.lower()}"


def _event_data(acceptance: AcceptanceRequest, **more: Any) -> dict[str, Any]:
    return {
        "request": acceptance.pk,
        "deliverable": acceptance.deliverable_id,
        "summary": acceptance.deliverable.summary,
        "contact": acceptance.contact_name,
        **more,
    }


@transaction.atomic
def acceptance_send(
    *, deliverable: Deliverable, actor: User, contact_name: Any, contact_email: Any
) -> AcceptanceRequest:
    """A new request for a delivered deliverable; its link goes to the contact by email."""
    project = services._lock(deliverable.project_id)
    _require_sender(project, actor)
    services._require_open(project)
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    if deliverable.status != DeliverableStatus.DELIVERED:
        raise DomainError(
            f"“{deliverable.summary}” is {deliverable.get_status_display().lower()}: only a "
            "delivered deliverable can go to the customer for acceptance.",
            code="not_delivered",
        )
    name, email = _contact(contact_name, contact_email)
    earlier = AcceptanceRequest.objects.select_for_update().filter(
        deliverable=deliverable,
        status__in=(AcceptanceStatus.PENDING, AcceptanceStatus.ACCEPTED),
    )
    now = timezone.now()
    for other in earlier:
        if (
            other.status == AcceptanceStatus.ACCEPTED
            and other.delivered_on == deliverable.delivered_on
        ):
            raise DomainError(
                f"{other.contact_name} already accepted this delivery on {day(other.decided_at)}.",
                code="already_accepted",
            )
        if other.status == AcceptanceStatus.PENDING and other.expires_at > now:
            raise DomainError(
                f"“{deliverable.summary}” is already waiting for {other.contact_name}: send it "
                "again or cancel that request first.",
                code="acceptance_pending",
            )
        if other.status == AcceptanceStatus.PENDING:
            # An expired request gives way to the new one.
            _cancel(project, other, actor, reason="Replaced by a new request after it expired.")
    acceptance = AcceptanceRequest.objects.create(
        deliverable=deliverable,
        contact_name=name,
        contact_email=email,
        sent_by=actor,
        sent_at=now,
        expires_at=now + timedelta(days=LINK_DAYS),
        delivered_on=deliverable.delivered_on,
        nonce=new_nonce(),
    )
    services._touch(project)
    services._record(
        project,
        actor=actor,
        kind=ProjectEventKind.ACCEPTANCE_SENT,
        reason=f"To {name}.",
        data=_event_data(acceptance),
    )
    _announce(acceptance, resent=False)
    return acceptance


def _announce(acceptance: AcceptanceRequest, *, resent: bool) -> None:
    acceptance_link_sent.send(
        sender=AcceptanceRequest,
        acceptance=acceptance,
        token=acceptance_token(acceptance),
        resent=resent,
    )


@transaction.atomic
def acceptance_resend(*, acceptance: AcceptanceRequest, actor: User) -> AcceptanceRequest:
    """A fresh link for a pending request, expired or not; the earlier link stops working."""
    project, acceptance = _lock_request(acceptance)
    _require_sender(project, actor)
    services._require_open(project)
    if acceptance.status != AcceptanceStatus.PENDING:
        raise DomainError(
            f"This request is {acceptance.get_status_display().lower()}: only a request "
            "waiting for the customer can be sent again.",
            code="not_pending",
        )
    deliverable = acceptance.deliverable
    if (
        deliverable.status != DeliverableStatus.DELIVERED
        or deliverable.delivered_on != acceptance.delivered_on
    ):
        raise DomainError(
            "The deliverable's delivery changed since this request was sent: cancel it and "
            "send a new one once it is delivered.",
            code="stale",
        )
    if acceptance.times_sent >= MAX_SENDS:
        raise DomainError(
            f"This request was sent {MAX_SENDS} times already: cancel it and check the "
            "contact's address before sending a new one.",
            code="sent_too_often",
        )
    now = timezone.now()
    acceptance.nonce = new_nonce()
    acceptance.sent_at = now
    acceptance.expires_at = now + timedelta(days=LINK_DAYS)
    acceptance.times_sent += 1
    acceptance.save(update_fields=["nonce", "sent_at", "expires_at", "times_sent"])
    services._touch(project)
    services._record(
        project,
        actor=actor,
        kind=ProjectEventKind.ACCEPTANCE_RESENT,
        reason=f"To {acceptance.contact_name}.",
        data=_event_data(acceptance, times_sent=acceptance.times_sent),
    )
    _announce(acceptance, resent=True)
    return acceptance


def _cancel(project: Project, acceptance: AcceptanceRequest, actor: User, *, reason: str) -> None:
    acceptance.status = AcceptanceStatus.CANCELLED
    acceptance.cancelled_by = actor
    acceptance.cancelled_at = timezone.now()
    acceptance.save(update_fields=["status", "cancelled_by", "cancelled_at"])
    services._record(
        project,
        actor=actor,
        kind=ProjectEventKind.ACCEPTANCE_CANCELLED,
        reason=reason,
        data=_event_data(acceptance),
    )


@transaction.atomic
def acceptance_cancel(*, acceptance: AcceptanceRequest, actor: User) -> AcceptanceRequest:
    """Withdraw a pending request: its link stops working, for good."""
    project, acceptance = _lock_request(acceptance)
    _require_sender(project, actor)
    if acceptance.status != AcceptanceStatus.PENDING:
        raise DomainError(
            f"This request is {acceptance.get_status_display().lower()}: only a request "
            "waiting for the customer can be cancelled.",
            code="not_pending",
        )
    services._touch(project)
    _cancel(project, acceptance, actor, reason=f"The link to {acceptance.contact_name} stops.")
    return acceptance


# The customer's decision


def _decision(decision: Any, rating: Any, comment: Any) -> tuple[str, int, str]:
    errors: dict[str, str] = {}
    if decision not in (AcceptanceStatus.ACCEPTED, AcceptanceStatus.DECLINED):
        errors["decision"] = "Choose whether you accept or decline the deliverable."
    try:
        rating = int(str(rating).strip())
    except (TypeError, ValueError):
        rating = None
    if rating is None or not MIN_RATING <= rating <= MAX_RATING:
        errors["rating"] = f"Rate the deliverable from {MIN_RATING} to {MAX_RATING}."
    comment = str(comment or "").strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = f"Keep the comment under {MAX_COMMENT:,} characters."
    elif decision == AcceptanceStatus.DECLINED and not comment:
        errors["comment"] = "Say what is missing or wrong, so the team can put it right."
    if errors:
        raise ValidationError(errors)
    validate_field_values(AcceptanceRequest, {"comment": comment})
    return str(decision), rating, comment


@transaction.atomic
def acceptance_decide(
    *, token: str, decision: Any, rating: Any, comment: Any = ""
) -> AcceptanceRequest:
    """The contact accepts or declines through the link, once.

    The link's nonce is recorded first: two answers at once wait on its unique index, and
    the second is refused. A decline puts the deliverable back in progress and tells the PM.
    """
    payload = read_token(token)
    found = (
        AcceptanceRequest.objects.select_related("deliverable")
        .filter(pk=payload.request_id)
        .first()
    )
    if found is None:
        raise not_found()
    decision, rating, comment = _decision(decision, rating, comment)
    project, acceptance = _lock_request(found)
    acceptance.deliverable = Deliverable.objects.select_for_update().get(
        pk=acceptance.deliverable_id
    )
    check_usable(acceptance, payload)
    try:
        with transaction.atomic():
            AcceptanceLinkUse.objects.create(nonce=payload.nonce, request=acceptance)
    except IntegrityError:
        raise LinkRefused(
            "This link was already used. Each link works once.",
            status=409,
            code="already_used",
            request=acceptance,
        ) from None
    acceptance.status = decision
    acceptance.rating = rating
    acceptance.comment = comment
    acceptance.decided_at = timezone.now()
    acceptance.save(update_fields=["status", "rating", "comment", "decided_at"])
    accepted = decision == AcceptanceStatus.ACCEPTED
    services._touch(project)
    services._record(
        project,
        actor=None,
        kind=ProjectEventKind.ACCEPTANCE_ACCEPTED
        if accepted
        else ProjectEventKind.ACCEPTANCE_DECLINED,
        reason=comment,
        data=_event_data(acceptance, rating=rating, pm=project.pm_id),
    )
    if not accepted and project.status != ProjectStatus.COMPLETED:
        _reopen(project, acceptance)
    return acceptance


def _reopen(project: Project, acceptance: AcceptanceRequest) -> None:
    """A declined deliverable is back in progress, recorded like any status change."""
    deliverable = acceptance.deliverable
    before = deliverable.status
    deliverable.status = DeliverableStatus.IN_PROGRESS
    deliverable.status_reason = ""
    deliverable.delivered_on = None
    deliverable.slip_days = None
    deliverable.updated_at = timezone.now()
    deliverable.save(
        update_fields=["status", "status_reason", "delivered_on", "slip_days", "updated_at"]
    )
    services._record(
        project,
        actor=None,
        kind=ProjectEventKind.DELIVERABLE_STATUS_CHANGED,
        reason=f"Declined by {acceptance.contact_name}, the customer: {acceptance.comment}",
        data={
            "deliverable": deliverable.pk,
            "summary": deliverable.summary,
            "from": before,
            "to": deliverable.status,
            "to_label": deliverable.get_status_display(),
            "delivered_on": None,
            "kept": False,
            "acceptance": acceptance.pk,
        },
    )
