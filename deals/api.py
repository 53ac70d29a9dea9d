"""REST API of deals: serializers and viewsets."""

urlpatterns: list = []
