from django.apps import AppConfig


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
    verbose_name = "Tracker"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the deletion tombstones
