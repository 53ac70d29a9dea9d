"""URLs of the deals API, under /api/v1/ (the root URLconf includes them)."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from deals.api.imports import DealImportViewSet
from deals.api.intake import EXTERNAL_ID_PATTERN, SOURCE_PATTERN, ExternalDealView
from deals.api.review import EscalationViewSet, ReviewRuleViewSet, VerdictViewSet
from deals.api.templates import DealTemplateViewSet
from deals.api.views import (
    ClientViewSet,
    CommentViewSet,
    CommitmentViewSet,
    DealEventViewSet,
    DealViewSet,
)

router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("deals", DealViewSet, basename="deal")
router.register(r"deals/(?P<deal_pk>\d+)/events", DealEventViewSet, basename="deal-event")
router.register(r"deals/(?P<deal_pk>\d+)/comments", CommentViewSet, basename="deal-comment")
router.register("commitments", CommitmentViewSet, basename="commitment")
router.register("verdicts", VerdictViewSet, basename="verdict")
router.register("escalations", EscalationViewSet, basename="escalation")
router.register("review-rules", ReviewRuleViewSet, basename="review-rule")
router.register("imports/deals", DealImportViewSet, basename="deal-import")
router.register("deal-templates", DealTemplateViewSet, basename="deal-template")

urlpatterns = [
    re_path(
        rf"^deals/external/(?P<source>{SOURCE_PATTERN})/(?P<external_id>{EXTERNAL_ID_PATTERN})/$",
        ExternalDealView.as_view(),
        name="deal-external",
    ),
    *router.urls,
]
