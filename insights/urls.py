"""Under /dashboard/. No namespace: the main navigation links to the name "dashboard"."""

from django.urls import path

from insights import views, views_recalculate

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("recompute/", views_recalculate.recompute, name="dashboard-recompute"),
    path(
        "recompute/status/", views_recalculate.recompute_status, name="dashboard-recompute-status"
    ),
    path("export/<slug:table>.csv", views.export, name="dashboard-export"),
    path("agenda/", views.agenda, name="dashboard-agenda"),
    path("goals/", views.goals, name="dashboard-goals"),
    path("goals/new/", views.goal_edit, name="dashboard-goal-create"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="dashboard-goal-edit"),
    path("goals/<int:pk>/delete/", views.goal_delete, name="dashboard-goal-delete"),
]
