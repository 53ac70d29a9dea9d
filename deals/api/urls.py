"""URLs of the deals API, under /api/v1/ (the root URLconf includes them)."""

from rest_framework.routers import SimpleRouter

from deals.api.review import EscalationViewSet, ReviewRuleViewSet, VerdictViewSet
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

urlpatterns = router.urls
