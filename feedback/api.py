"""REST API of feedback: serializers and viewsets."""

urlpatterns: list = []
