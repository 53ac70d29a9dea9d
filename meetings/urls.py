from django.urls import path

from meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_create, name="create"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/start/", views.meeting_start, name="start"),
    path("<int:pk>/attendees/", views.meeting_attendees, name="attendees"),
    path("<int:pk>/items/<int:item_pk>/decision/", views.item_decide, name="decide"),
    path("<int:pk>/action-items/", views.action_item_add, name="action_item_add"),
    path("<int:pk>/close/", views.meeting_close, name="close"),
    path("<int:pk>/minutes/", views.meeting_minutes, name="minutes"),
    path("<int:pk>/minutes.md", views.meeting_minutes_markdown, name="minutes_markdown"),
    path("action-items/", views.action_items, name="action_items"),
    path("action-items/<int:pk>/status/", views.action_item_status, name="action_item_status"),
]
