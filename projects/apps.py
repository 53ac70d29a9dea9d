from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from deals.panels import register_deal_panel
        from deals.promise_advice import register_calibration
        from handoff.web.settings_page import register_section
        from projects.calibration import calibrations_for, forget_calibration
        from projects.models import Deliverable, Project, TimeEntry
        from projects.panels import register_project_panel
        from projects.selectors import forget_open_load
        from projects.views import capacity_section

        # Any saved or deleted deliverable, project or time entry may change the load of open work.
        for model in (Deliverable, Project, TimeEntry):
            for signal in (post_save, post_delete):
                signal.connect(forget_open_load, sender=model, dispatch_uid=f"open-load-{model}")
        # What history says about a promise changes only when a deliverable is resolved.
        for signal in (post_save, post_delete):
            signal.connect(forget_calibration, sender=Deliverable, dispatch_uid="calibration")

        # Deals in review or signed off count as tentative load, until they are decided.
        from deals.models import Deal, ReviewRound
        from projects.tentative import forget_tentative_load

        for model in (Deal, ReviewRound):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget_tentative_load, sender=model, dispatch_uid=f"tentative-load-{model}"
                )

        # The deal form and the review show what history says about each promise.
        register_calibration(calibrations_for, template="projects/partials/calibration.html")

        # PMs set their weekly capacity and time off on the settings page.
        register_section(
            "projects/partials/settings_capacity.html",
            capacity_section,
            stylesheet="css/projects.css",
        )

        # The deal page shows the capacity check during review and the promises once won.
        register_deal_panel(_deal_page_panel)

        # The project page shows customer acceptance: its requests and the form to send one.
        register_project_panel(_acceptance_panel)


def _deal_page_panel(request, deal) -> dict:
    from projects.selectors import deal_page_context

    return deal_page_context(deal, request.user)


def _acceptance_panel(project, user) -> dict:
    from projects.acceptance_page import panel_context

    return panel_context(project, user)
