from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "lightbox.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from lightbox.ops import checks  # noqa: F401 - registers the system checks
