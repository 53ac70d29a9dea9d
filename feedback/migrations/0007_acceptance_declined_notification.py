from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0006_webhooks_and_chat_channels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("submitted", "Deal submitted for review"),
                    ("claimed", "Review claimed"),
                    ("approval_needed", "Your approval is needed"),
                    ("review_assigned", "Review assigned to you"),
                    ("review_released", "Review released"),
                    ("counter_accepted", "Counter-proposal accepted"),
                    ("flagged", "Commitment flagged"),
                    ("changes_requested", "Changes requested"),
                    ("signed_off", "Deal signed off"),
                    ("won", "Deal won"),
                    ("escalated", "Flag escalated"),
                    ("escalation_decided", "Escalation decided"),
                    ("review_due_soon", "Review due soon"),
                    ("review_overdue", "Review past its SLA"),
                    ("deliverable_at_risk", "Deliverable at risk"),
                    ("deliverable_late", "Deliverable late"),
                    ("handoff_questions", "Questions about a handoff"),
                    ("feedback_note", "Feedback note"),
                    ("mention", "Mentioned in a comment"),
                    ("integration_disabled", "Webhook or chat channel turned off"),
                    ("acceptance_declined", "Deliverable declined by the customer"),
                ],
                max_length=30,
            ),
        ),
    ]
