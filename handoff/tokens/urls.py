"""The API tokens pages, under /settings/api-tokens/."""

from django.urls import path

from handoff.tokens import views

urlpatterns = [
    path("", views.api_token_list, name="list"),
    path("<int:pk>/revoke/", views.api_token_revoke, name="revoke"),
]
