from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"

    def ready(self) -> None:
        # Register the tasks with Celery in every process, and the signal receivers with them.
        # ready() is Django's place for this import: the app registry is loaded by now.
        from . import tasks  # noqa: F401, PLC0415
