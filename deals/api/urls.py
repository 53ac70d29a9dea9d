"""URLs of the deals API, under /api/v1/ (the root URLconf includes them)."""

from rest_framework.routers import SimpleRouter

from deals.api.views import (
    ClientViewSet,
    CommentViewSet,
    CommitmentViewSet,
    DealEventViewSet,
    DealViewSet,
    EscalationViewSet,
    VerdictViewSet,
)

router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("deals", DealViewSet, basename="deal")
router.register(r"deals/(?P<deal_pk>\d+)/events", DealEventViewSet, basename="deal-event")
router.register(r"deals/(?P<deal_pk>\d+)/comments", CommentViewSet, basename="deal-comment")
router.register("commitments", CommitmentViewSet, basename="commitment")
router.register("verdicts", VerdictViewSet, basename="verdict")
router.register("escalations", EscalationViewSet, basename="escalation")

urlpatterns = router.urls
