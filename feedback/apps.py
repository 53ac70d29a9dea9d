from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "feedback"

    def ready(self) -> None:
        from deals.signals import comment_posted, deal_event_recorded
        from feedback import notifications
        from projects.signals import project_event_recorded

        deal_event_recorded.connect(notifications.on_deal_event, dispatch_uid="feedback.deal")
        comment_posted.connect(notifications.on_comment_posted, dispatch_uid="feedback.comment")
        project_event_recorded.connect(
            notifications.on_project_event, dispatch_uid="feedback.project"
        )
