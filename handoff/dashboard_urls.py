"""Under /dashboard/. No namespace: the main navigation links to the name "dashboard"."""

from django.urls import path

from handoff import dashboard

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("recompute/", dashboard.recompute, name="dashboard-recompute"),
    path("export/<slug:table>.csv", dashboard.export, name="dashboard-export"),
    path("agenda/", dashboard.agenda, name="dashboard-agenda"),
    path("goals/", dashboard.goals, name="dashboard-goals"),
    path("goals/new/", dashboard.goal_edit, name="dashboard-goal-create"),
    path("goals/<int:pk>/edit/", dashboard.goal_edit, name="dashboard-goal-edit"),
    path("goals/<int:pk>/delete/", dashboard.goal_delete, name="dashboard-goal-delete"),
]
