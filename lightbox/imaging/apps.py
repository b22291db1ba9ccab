from django.apps import AppConfig


class ImagingConfig(AppConfig):
    name = "lightbox.imaging"
    label = "imaging"

    def ready(self) -> None:
        from lightbox.cases.signals import connect_case_child
        from lightbox.imaging.models import Image

        connect_case_child(Image)
