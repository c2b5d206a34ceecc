from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self) -> None:
        # Register the tasks with Celery in every process (web processes queue them by name).
        # ready() is Django's place for this import: the app registry is loaded by now.
        from . import tasks  # noqa: F401, PLC0415
