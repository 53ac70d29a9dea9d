"""Customer acceptance through the real services: a delivered deliverable and its request."""

from django.core import mail
from django.utils import timezone

from feedback import outbox
from feedback.models import EmailOutbox
from projects import acceptance, services
from projects.acceptance_links import acceptance_token


def deliver(deliverable, pm, on=None):
    return services.deliverable_update_status(
        deliverable=deliverable,
        actor=pm,
        status="delivered",
        delivered_on=on or timezone.localdate(),
    )


def send(deliverable, pm, *, name="Dana Client", email="dana@client.example"):
    """Deliver (if needed) and send for acceptance; the request and its token."""
    deliverable.refresh_from_db()
    if deliverable.status != "delivered":
        deliver(deliverable, pm)
    request = acceptance.acceptance_send(
        deliverable=deliverable, actor=pm, contact_name=name, contact_email=email
    )
    return request, acceptance_token(request)


def link_in_email(address: str) -> str:
    """The acceptance link of the latest email to `address`, sent through the outbox."""
    row = EmailOutbox.objects.filter(to_address=address).order_by("-id").first()
    outbox.deliver(row.pk)
    message = [m for m in mail.outbox if address in m.to][-1]
    for word in message.body.split():
        if "/projects/acceptance/respond/" in word:
            return word[word.index("/projects/") :]
    raise AssertionError("no acceptance link in the email")
