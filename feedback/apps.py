from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "feedback"

    def ready(self) -> None:
        from deals.panels import register_deal_panel
        from deals.signals import comment_posted, deal_event_recorded
        from feedback import (
            acceptance_emails,
            announcements,
            calendar_views,
            notifications,
            outbox,
            selectors,
            tasks,
            views,
            webhooks_events,
            webhooks_views,
        )
        from handoff.web.settings_page import register_section
        from projects.acceptance import acceptance_link_sent
        from projects.panels import register_project_panel
        from projects.signals import project_event_recorded

        outbox.send_with(tasks.send_emails)
        announcements.expand_with(tasks.expand_announcements)
        webhooks_events.connect(tasks.deliver_webhooks)
        deal_event_recorded.connect(notifications.on_deal_event, dispatch_uid="feedback.deal")
        comment_posted.connect(notifications.on_comment_posted, dispatch_uid="feedback.comment")
        project_event_recorded.connect(
            notifications.on_project_event, dispatch_uid="feedback.project"
        )
        acceptance_link_sent.connect(
            acceptance_emails.on_acceptance_link_sent, dispatch_uid="feedback.acceptance_link"
        )
        project_event_recorded.connect(
            acceptance_emails.on_project_event, dispatch_uid="feedback.acceptance"
        )
        register_deal_panel(selectors.deal_feedback_hook)
        register_project_panel(selectors.project_feedback_context)
        register_section("feedback/partials/settings_notifications.html", views.preferences_section)
        register_section(
            "feedback/webhooks_settings.html",
            webhooks_views.settings_section,
            stylesheet="css/webhooks.css",
        )
        register_section(
            "feedback/calendar_settings.html",
            calendar_views.calendar_section,
            stylesheet="css/calendar.css",
        )
