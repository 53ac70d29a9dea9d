from django.urls import path

from deals import (
    views,
    views_deal,
    views_export,
    views_import,
    views_live,
    views_rules,
    views_templates,
)
from deals.views_links import approve_link

app_name = "deals"

urlpatterns = [
    path("", views.deal_list, name="list"),
    path("export.csv", views_export.deal_list_csv, name="list_csv"),
    path("new/", views.deal_create, name="create"),
    path("new/commitment-row/", views.commitment_row, name="commitment_row"),
    path("clients/search/", views.client_search, name="client_search"),
    path("queue/", views.queue, name="queue"),
    path("queue/export.csv", views_export.queue_csv, name="queue_csv"),
    path("queue/version/", views_live.queue_version, name="queue_version"),
    path("escalations/", views.escalations, name="escalations"),
    path("import/", views_import.import_start, name="import_start"),
    path("templates/", views_templates.template_list, name="templates"),
    path("templates/new/", views_templates.template_create, name="template_create"),
    path("templates/<int:pk>/edit/", views_templates.template_edit, name="template_edit"),
    path("templates/<int:pk>/delete/", views_templates.template_delete, name="template_delete"),
    path("import/<int:pk>/", views_import.import_detail, name="import_detail"),
    path("import/<int:pk>/confirm/", views_import.import_confirm, name="import_confirm"),
    path("import/<int:pk>/report.csv", views_import.import_report, name="import_report"),
    path("approve/<str:token>/", approve_link, name="approve_link"),
    path(
        "escalations/<int:escalation_pk>/decide/",
        views.escalation_decide,
        name="escalation_decide",
    ),
    path("review-rules/", views_rules.review_rules, name="review_rules"),
    path("review-rules/new/", views_rules.review_rule_create, name="review_rule_create"),
    path("review-rules/<int:rule_pk>/edit/", views_rules.review_rule_edit, name="review_rule_edit"),
    path(
        "review-rules/<int:rule_pk>/retire/",
        views_rules.review_rule_retire,
        name="review_rule_retire",
    ),
    path("<int:pk>/", views_deal.deal_detail, name="detail"),
    path("<int:pk>/version/", views_live.deal_version, name="version"),
    path("<int:pk>/edit/", views.deal_edit, name="edit"),
    path("<int:pk>/comments/", views_deal.comment_add, name="comment"),
    path(
        "<int:pk>/commitments/<int:commitment_pk>/rule/",
        views_deal.commitment_rule,
        name="rule",
    ),
    path(
        "<int:pk>/verdicts/<int:verdict_pk>/escalate/",
        views_deal.verdict_escalate,
        name="escalate",
    ),
    path(
        "<int:pk>/verdicts/<int:verdict_pk>/accept-counter/",
        views_deal.verdict_accept_counter,
        name="accept_counter",
    ),
    *[
        path(
            f"<int:pk>/{action.replace('_', '-')}/",
            views_deal.deal_transition,
            {"action": action},
            name=action,
        )
        for action in views_deal.TRANSITION_ACTIONS
    ],
]
