from django.urls import path

from feedback import views, views_export, views_live

app_name = "feedback"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("export.csv", views_export.inbox_csv, name="inbox_csv"),
    path("notifications/export.csv", views_export.notifications_csv, name="notifications_csv"),
    path("notes/new/", views.note_new, name="note_new"),
    path("notes/<int:pk>/", views.note_detail, name="note"),
    path("notes/<int:pk>/acknowledge/", views.note_acknowledge, name="note_acknowledge"),
    path("notes/<int:pk>/reply/", views.note_reply, name="note_reply"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/badge/", views.bell, name="bell"),
    path("notifications/badge/version/", views_live.bell_version, name="bell_version"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("lessons/", views.kind_lessons, name="lessons"),
    path("preferences/", views.preferences, name="preferences"),
]
