"""The customer's acceptance link: signed, expiring, single use, naming one request.

A link is `signing.dumps({"a": request, "n": nonce})` under its own salt: nobody can forge or
alter one. It works while its request is pending, its nonce is the request's current one
(sending again replaces it) and the request has not expired. Opening it (GET) reads only;
deciding (POST, projects.acceptance) records the nonce in AcceptanceLinkUse first, so a
second use finds it. A refusal says why in words that reveal nothing beyond the request.
"""

import secrets
from dataclasses import dataclass

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from handoff.templatetags.formats import day, when
from projects.acceptance_models import (
    DECIDED_STATUSES,
    AcceptanceLinkUse,
    AcceptanceRequest,
    AcceptanceStatus,
)
from projects.models import DeliverableStatus

SALT = "projects.acceptance_links"
# How long a link works after it is sent (or sent again).
LINK_DAYS = 14
NONCE_BYTES = 16


class LinkRefused(Exception):
    """Why a link cannot be used now: the page shows `reason` with `status`, changing nothing.

    `request` is set only when the link is genuine and its request was decided, so the page
    can show the decision to the person who made it.
    """

    def __init__(
        self,
        reason: str,
        *,
        status: int,
        code: str,
        request: AcceptanceRequest | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = code
        self.request = request


@dataclass(frozen=True)
class LinkPayload:
    request_id: int
    nonce: str


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def acceptance_token(acceptance: AcceptanceRequest) -> str:
    """The signed token of the request's current link."""
    return signing.dumps({"a": acceptance.pk, "n": acceptance.nonce}, salt=SALT, compress=True)


def acceptance_path(token: str) -> str:
    return reverse("projects:acceptance_respond", args=[token])


def read_token(token: str) -> LinkPayload:
    """The payload of a genuine token, or LinkRefused (400) when it is not one."""
    try:
        data = signing.loads(token, salt=SALT)
        payload = LinkPayload(int(data["a"]), str(data["n"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise _invalid() from None
    if not payload.nonce:
        raise _invalid()
    return payload


def _invalid() -> LinkRefused:
    return LinkRefused(
        "This acceptance link is not valid: it may have been cut short or changed on the "
        "way. Open it again from the email, or ask the project manager for a new one.",
        status=400,
        code="invalid",
    )


def _request_for(payload: LinkPayload, *, lock: bool) -> AcceptanceRequest:
    rows = AcceptanceRequest.objects.select_related(
        "deliverable__project__deal__client", "deliverable__project__pm"
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    acceptance = rows.filter(pk=payload.request_id).first()
    if acceptance is None:
        raise not_found()
    return acceptance


def not_found() -> LinkRefused:
    return LinkRefused(
        "This acceptance request is no longer there. Ask the project manager if you still "
        "need to answer it.",
        status=404,
        code="not_found",
    )


def check_usable(acceptance: AcceptanceRequest, payload: LinkPayload) -> None:
    """LinkRefused unless this link may decide the request now."""
    used = AcceptanceLinkUse.objects.filter(nonce=payload.nonce).first()
    if used is not None or acceptance.status in DECIDED_STATUSES:
        if acceptance.status in DECIDED_STATUSES and used is not None:
            raise LinkRefused(
                f"This link was already used, on {when(used.used_at)}. Each link works once.",
                status=409,
                code="already_used",
                request=acceptance,
            )
        raise LinkRefused(
            "This deliverable was already answered through a newer link. Each link works once.",
            status=409,
            code="already_decided",
        )
    if acceptance.status == AcceptanceStatus.CANCELLED:
        raise LinkRefused(
            "The project manager withdrew this acceptance request, so the link no longer "
            "works. Nothing is waiting for your answer.",
            status=409,
            code="cancelled",
        )
    if acceptance.nonce != payload.nonce:
        raise LinkRefused(
            "This link was replaced by a newer one: use the link in the latest email about "
            "this deliverable.",
            status=409,
            code="replaced",
        )
    if acceptance.expires_at <= timezone.now():
        raise LinkRefused(
            f"This acceptance link expired on {when(acceptance.expires_at)}: links work for "
            f"{LINK_DAYS} days. Ask the project manager to send it again.",
            status=410,
            code="expired",
        )
    deliverable = acceptance.deliverable
    if (
        deliverable.status != DeliverableStatus.DELIVERED
        or deliverable.delivered_on != acceptance.delivered_on
    ):
        raise LinkRefused(
            f"The delivery of {day(acceptance.delivered_on)} this link asks about has changed "
            "since it was sent, so it no longer works. The project manager will send a new "
            "one when it is delivered again.",
            status=409,
            code="stale",
        )


def link_open(*, token: str) -> AcceptanceRequest:
    """The request a link decides, for its page. Reads only."""
    payload = read_token(token)
    acceptance = _request_for(payload, lock=False)
    check_usable(acceptance, payload)
    return acceptance


def link_lock(*, token: str) -> tuple[AcceptanceRequest, LinkPayload]:
    """The request, locked, in the caller's transaction; LinkRefused when the link may not."""
    payload = read_token(token)
    acceptance = _request_for(payload, lock=True)
    check_usable(acceptance, payload)
    return acceptance, payload
