from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "webapp.core"
    label = "core"

    def ready(self) -> None:
        from webapp.core import authentication  # noqa: F401  registers its OpenAPI extension
