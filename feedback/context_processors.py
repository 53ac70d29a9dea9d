from feedback.models import Notification


def unread(request) -> dict:
    """The unread badge in the navigation: one COUNT, only for a signed-in user's page."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {
        "unread_notifications": lambda: Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count()
    }
