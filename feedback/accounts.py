"""Account emails through the outbox: a password reset is written, then sent by a worker.

Sending inside the request made it slow for a known address and instant for an unknown one
(so its timing told whether an account exists), and a mail failure lost it silently.
"""

from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.template import loader

from feedback.models import EmailOutbox
from feedback.outbox import enqueue_on_commit
from handoff.text import single_line

RESET_EMAIL_KIND = "password_reset"


class OutboxPasswordResetForm(PasswordResetForm):
    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        subject = single_line(loader.render_to_string(subject_template_name, context))
        html = (
            loader.render_to_string(html_email_template_name, context)
            if html_email_template_name
            else ""
        )
        with transaction.atomic():
            email = EmailOutbox.objects.create(
                recipient=context.get("user"),
                to_address=to_email,
                kind=RESET_EMAIL_KIND,
                subject=subject,
                text_body=loader.render_to_string(email_template_name, context),
                html_body=html,
            )
            enqueue_on_commit([email.pk])
