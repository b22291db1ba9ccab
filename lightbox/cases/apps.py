from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "lightbox.cases"
    label = "cases"

    def ready(self) -> None:
        from lightbox.cases import signals  # noqa: F401 - connects the receivers
