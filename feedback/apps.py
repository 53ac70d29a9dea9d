from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "feedback"

    def ready(self) -> None:
        from deals.signals import comment_posted, deal_event_recorded
        from deals.views import DEAL_PAGE_CONTEXT_HOOKS
        from feedback import notifications, outbox, selectors, tasks, views
        from handoff.web.settings_page import register_section
        from projects.signals import project_event_recorded

        outbox.send_with(tasks.send_emails)
        deal_event_recorded.connect(notifications.on_deal_event, dispatch_uid="feedback.deal")
        comment_posted.connect(notifications.on_comment_posted, dispatch_uid="feedback.comment")
        project_event_recorded.connect(
            notifications.on_project_event, dispatch_uid="feedback.project"
        )
        if selectors.deal_feedback_hook not in DEAL_PAGE_CONTEXT_HOOKS:
            DEAL_PAGE_CONTEXT_HOOKS.append(selectors.deal_feedback_hook)
        register_section("feedback/partials/settings_notifications.html", views.preferences_section)
