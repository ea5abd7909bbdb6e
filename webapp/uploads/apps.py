from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "webapp.uploads"
    label = "uploads"
    verbose_name = "Uploads and predictions"

    def ready(self) -> None:
        from webapp.uploads import signals  # noqa: F401 - connects the file clean-up receivers
