"""Images shown on a case.

For now an :class:`Image` is a stored PNG or JPEG with a thumbnail. The DICOM work builds
studies and series underneath it; caption, order and the main flag stay here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse

from lightbox.cases.models import Case


def image_path(instance: Image, filename: str) -> str:
    return f"cases/{instance.case.number}/{filename}"


class Image(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="images")
    order = models.PositiveSmallIntegerField(default=0)
    caption = models.TextField(blank=True)
    is_main = models.BooleanField(
        "main image", default=False, help_text="Opened by “View main image”."
    )
    # Blank while an imported caption still waits for its picture (a legacy page names its
    # images, but the files may arrive later).
    file = models.ImageField(
        upload_to=image_path, width_field="width", height_field="height", blank=True
    )
    thumbnail = models.ImageField(upload_to=image_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(is_main=True), name="image_one_main_per_case"
            )
        ]

    def __str__(self) -> str:
        return self.caption or f"Image {self.order + 1} of {self.case.number}"

    @property
    def alt_text(self) -> str:
        return self.caption or f"Image {self.order + 1} of case {self.case.number}"

    def get_absolute_url(self) -> str:
        return reverse("lightbox-image-view", args=[self.case.number, self.pk])

    def get_file_url(self) -> str:
        if not self.file:
            return ""
        return reverse("lightbox-image-file", args=[self.case.number, self.pk, "full"])

    def get_thumbnail_url(self) -> str:
        if not self.thumbnail:
            return ""
        return reverse("lightbox-image-file", args=[self.case.number, self.pk, "thumb"])
