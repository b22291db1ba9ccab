from django.apps import AppConfig


class ImagingConfig(AppConfig):
    name = "lightbox.imaging"
    label = "imaging"

    def ready(self) -> None:
        import os

        from django.conf import settings

        from lightbox.cases.signals import connect_case_child
        from lightbox.imaging import checks  # noqa: F401 - registers the storage checks

        # Django writes large uploads to temporary files here, inside quarantine.
        os.makedirs(settings.FILE_UPLOAD_TEMP_DIR, mode=0o700, exist_ok=True)
        from lightbox.imaging.models import Image

        connect_case_child(Image)
