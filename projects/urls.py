from django.urls import path

from projects import views, views_acceptance, views_calibration, views_delivery, views_export

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("export.csv", views_export.project_list_csv, name="list_csv"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/brief/", views.brief_edit, name="brief"),
    path("<int:pk>/accept/", views.handoff_accept, name="accept"),
    path("<int:pk>/questions/", views.questions_send, name="questions"),
    path("<int:pk>/status/", views.project_status, name="status"),
    path("<int:pk>/complete/", views.project_complete, name="complete"),
    path("<int:pk>/kickoff/", views.kickoff_add, name="kickoff_add"),
    path("kickoff/<int:pk>/toggle/", views.kickoff_toggle, name="kickoff_toggle"),
    path("kickoff/<int:pk>/remove/", views.kickoff_remove, name="kickoff_remove"),
    path("deliverables/<int:pk>/status/", views.deliverable_status, name="deliverable_status"),
    path("acceptance/", views_acceptance.acceptance_list, name="acceptance_list"),
    path(
        "acceptance/respond/<str:token>/",
        views_acceptance.acceptance_respond,
        name="acceptance_respond",
    ),
    path(
        "acceptance/<int:pk>/resend/", views_acceptance.acceptance_resend, name="acceptance_resend"
    ),
    path(
        "acceptance/<int:pk>/cancel/", views_acceptance.acceptance_cancel, name="acceptance_cancel"
    ),
    path("<int:pk>/acceptance/send/", views_acceptance.acceptance_send, name="acceptance_send"),
    path("calibration/", views_calibration.calibration, name="calibration"),
    path("<int:pk>/time/", views_delivery.time_entry_add, name="time_entry_add"),
    path("time/<int:pk>/edit/", views_delivery.time_entry_edit, name="time_entry_edit"),
    path("time/<int:pk>/remove/", views_delivery.time_entry_remove, name="time_entry_remove"),
    path("deliverables/<int:pk>/change/", views_delivery.change_request_new, name="change_new"),
    path("changes/<int:pk>/approve/", views_delivery.change_request_approve, name="change_approve"),
    path("changes/<int:pk>/reject/", views_delivery.change_request_reject, name="change_reject"),
    path("capacity/", views.capacity, name="capacity"),
    path("capacity/weekly/", views.capacity_set, name="capacity_set"),
    path("capacity/time-off/", views.time_off_add, name="time_off_add"),
    path("capacity/time-off/<int:pk>/remove/", views.time_off_remove, name="time_off_remove"),
]
