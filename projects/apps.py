from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"

    def ready(self) -> None:
        from deals.views import DEAL_PAGE_CONTEXT_HOOKS
        from projects.selectors import deal_page_context

        # The deal page shows the capacity check during review and the promises once won.
        DEAL_PAGE_CONTEXT_HOOKS.append(lambda request, deal: deal_page_context(deal, request.user))
