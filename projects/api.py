"""REST API of projects: serializers and viewsets."""

urlpatterns: list = []
