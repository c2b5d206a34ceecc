from django.apps import AppConfig


class OrgsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orgs"

    def ready(self) -> None:
        # Register the tasks with Celery in every process (web processes queue them by name).
        from . import tasks  # noqa: F401, PLC0415
