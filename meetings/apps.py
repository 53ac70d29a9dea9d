from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "meetings"
    verbose_name = "Weekly sync"

    def ready(self) -> None:
        from meetings import extensions

        extensions.register()
