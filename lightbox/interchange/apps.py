from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "lightbox.interchange"
    label = "interchange"

    def ready(self) -> None:
        from lightbox.interchange.pdf import checks  # noqa: F401 - registers the check
