"""Digests at scale: build and render the digest of N users, time it and count its queries."""

import time
from collections import defaultdict
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from bench.generate import PASSWORD
from bench.queries import QueryCounter

ROLE_SHARE = {"sales": 0.6, "pm": 0.25, "manager": 0.15}


def add_recipients(total: int) -> None:
    """Top the active users up to `total` with digest readers, each with unread notifications."""
    from feedback.models import Notification
    from handoff.models import User

    missing = total - User.objects.filter(is_active=True).count()
    if missing <= 0:
        return
    password = make_password(PASSWORD)
    now = timezone.now()
    roles = [role for role, share in ROLE_SHARE.items() for _ in range(round(share * 100))]
    start = User.objects.filter(username__startswith="reader").count()
    users = User.objects.bulk_create(
        User(
            username=f"reader{start + n:05d}",
            email=f"reader{start + n:05d}@bench.handoff.test",
            password=password,
            role=roles[n % len(roles)],
            date_joined=now - timedelta(days=200),
        )
        for n in range(missing)
    )
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind="feedback_note",
            text="A note from the other team.",
            url="/feedback/",
            created_at=now - timedelta(hours=6 * k + 1),
        )
        for user in users
        for k in range(5)
    )


def run(users: int, sample: int = 40) -> dict:
    """send_digests for everyone (the real path, timed), then per-digest query counts by role."""
    from feedback.digests import build_digest, render_digest, send_digests
    from feedback.models import DigestDelivery
    from handoff.models import User

    add_recipients(users)
    DigestDelivery.objects.all().delete()
    User.objects.update(digest_frequency="off", last_digest_at=None)
    active = User.objects.filter(is_active=True).exclude(email="").order_by("pk")
    recipients = [
        user
        for role, share in ROLE_SHARE.items()
        for user in active.filter(role=role)[: max(1, round(share * users))]
    ]
    User.objects.filter(pk__in=[u.pk for u in recipients]).update(digest_frequency="weekly")

    started = time.perf_counter()
    with QueryCounter() as queries:
        sent = send_digests(period="weekly")
    seconds = time.perf_counter() - started

    queries_by_role: dict[str, list[int]] = defaultdict(list)
    for user in recipients:
        if len(queries_by_role[user.role]) >= sample:
            continue
        user.last_digest_at = None
        with QueryCounter() as built:
            render_digest(build_digest(user, "weekly"))
        queries_by_role[user.role].append(built.count)

    per_digest = [n for counts in queries_by_role.values() for n in counts]
    return {
        "users": len(recipients),
        "seconds": round(seconds, 2),
        "ms_per_digest": round(1000 * seconds / max(1, len(recipients)), 1),
        "queries_per_digest": max(per_digest) if per_digest else None,
        "queries_per_digest_sent": round(queries.count / max(1, len(recipients)), 2),
        "queries_by_role": {
            role: {"digests": len(counts), "min": min(counts), "max": max(counts)}
            for role, counts in sorted(queries_by_role.items())
        },
        "result": sent,
        "how": (
            "send_digests(period='weekly') for every recipient, timed: claim, build, render "
            "and send (locmem email). Queries per digest: build and render alone, by role."
        ),
    }
