"""The managers' webhook and team chat pages, under /settings/webhooks/ and /settings/chat/."""

from django.urls import path

from feedback import chat_views, webhooks_views

webhook_patterns = [
    path("", webhooks_views.webhook_list, name="list"),
    path("new/", webhooks_views.webhook_create, name="create"),
    path("<int:pk>/", webhooks_views.webhook_detail, name="detail"),
    path("<int:pk>/edit/", webhooks_views.webhook_edit, name="edit"),
    path("<int:pk>/secret/", webhooks_views.webhook_rotate, name="rotate"),
    path("<int:pk>/active/", webhooks_views.webhook_set_active, name="set_active"),
    path("<int:pk>/delete/", webhooks_views.webhook_delete, name="delete"),
    path(
        "deliveries/<int:delivery_pk>/redeliver/",
        webhooks_views.delivery_redeliver,
        name="redeliver",
    ),
]

chat_patterns = [
    path("", chat_views.channel_list, name="list"),
    path("new/", chat_views.channel_create, name="create"),
    path("<int:pk>/", chat_views.channel_detail, name="detail"),
    path("<int:pk>/edit/", chat_views.channel_edit, name="edit"),
    path("<int:pk>/active/", chat_views.channel_set_active, name="set_active"),
    path("<int:pk>/delete/", chat_views.channel_delete, name="delete"),
]
