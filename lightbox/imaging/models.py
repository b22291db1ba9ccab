"""Images shown on a case, and the de-identified DICOM underneath them.

An :class:`Image` is what a case shows: a caption for before the answer and one for after
it, an order, the main flag and a rendered picture with its thumbnail. It is either a plain
picture (a JPEG or PNG upload, stripped of metadata) or a view onto a DICOM
:class:`Series`, whose :class:`Instance` rows hold the de-identified DICOM files. Uploads
(:class:`Upload`, one :class:`UploadFile` per file) are processed by the task worker;
nothing identifiable is ever stored.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.urls import reverse

from lightbox.cases.models import Case


def derived_storage() -> Storage:
    return storages["derived"]


def instance_path(instance: Instance, filename: str) -> str:
    return f"dicom/{instance.series.study.case_id}/{instance.series_id}/{filename}"


class Study(models.Model):
    """A de-identified DICOM study attached to a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="studies")
    study_uid = models.CharField("Study Instance UID (re-mapped)", max_length=64)
    study_date = models.DateField(null=True, blank=True, help_text="Shifted, never the real date.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "study_uid"], name="study_unique_per_case")
        ]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return f"Study {self.pk} of {self.case_id}"


class Series(models.Model):
    """A de-identified DICOM series: a stack, a multi-frame clip, an NM view."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="series")
    series_uid = models.CharField("Series Instance UID (re-mapped)", max_length=64)
    series_number = models.IntegerField(null=True, blank=True)
    modality = models.CharField(max_length=16, blank=True)
    # (0008,103E) Series Description is removed by the Clean Descriptors option; what an
    # author types here is their own, de-identified description.
    description = models.CharField(max_length=200, blank=True)
    view = models.CharField(max_length=16, blank=True, help_text="e.g. ANT, POST")
    body_part = models.CharField(max_length=64, blank=True)
    instance_count = models.PositiveIntegerField(default=0)
    frame_count = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "series"
        constraints = [
            models.UniqueConstraint(fields=["study", "series_uid"], name="series_unique_per_study")
        ]

    def __str__(self) -> str:
        return f"{self.modality} series {self.series_number or self.pk}"


class PixelReview(models.TextChoices):
    NOT_NEEDED = "not_needed", "Not needed"
    NEEDED = "needed", "Needs pixel review"
    CONFIRMED = "confirmed", "Confirmed free of burned-in text"
    MASKED = "masked", "Burned-in text masked"


class Instance(models.Model):
    """One de-identified DICOM file (one or many frames)."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="instances")
    sop_uid = models.CharField("SOP Instance UID (re-mapped)", max_length=64)
    sop_class_uid = models.CharField(max_length=64, blank=True)
    instance_number = models.IntegerField(null=True, blank=True)
    # Position along the stack: (0020,0032) Image Position projected on the slice normal.
    position = models.FloatField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    columns = models.PositiveIntegerField(default=0)
    frames = models.PositiveIntegerField(default=1)
    transfer_syntax = models.CharField(max_length=64, blank=True)
    file = models.FileField(upload_to=instance_path)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    pixel_review = models.CharField(
        max_length=12, choices=PixelReview, default=PixelReview.NOT_NEEDED
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["instance_number", "position", "pk"]
        constraints = [
            # Re-processing the same file finds its row instead of adding a copy.
            models.UniqueConstraint(
                fields=["series", "sop_uid"], name="instance_unique_per_series"
            )
        ]

    def __str__(self) -> str:
        return f"Instance {self.instance_number or self.pk}"


def image_path(instance: Image, filename: str) -> str:
    return f"cases/{instance.case.number}/{filename}"


class Image(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="images")
    order = models.PositiveSmallIntegerField(default=0)
    # Two captions, because the first is read before the answer: ``caption`` says only
    # what the image is (the view: "Anterior and posterior whole-body images"), and
    # ``answer_caption`` what it shows, revealed with the diagnosis.
    caption = models.TextField(
        "caption before the answer",
        blank=True,
        help_text="Shown with the unknown: the view only, nothing that gives the answer.",
    )
    answer_caption = models.TextField(
        "caption after the answer",
        blank=True,
        help_text="Shown once the reader reveals the answer: what the image shows.",
    )
    is_main = models.BooleanField(
        "main image", default=False, help_text="Opened by “View main image”."
    )
    # Blank while an imported caption still waits for its picture (a legacy page names its
    # images, but the files may arrive later).
    file = models.ImageField(
        upload_to=image_path, width_field="width", height_field="height", blank=True
    )
    # Set when the image shows a DICOM series: the picture above is its key frame.
    series = models.OneToOneField(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="image"
    )
    pixel_review = models.CharField(
        max_length=12, choices=PixelReview, default=PixelReview.NOT_NEEDED
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
    def needs_pixel_review(self) -> bool:
        return self.pixel_review == PixelReview.NEEDED

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


class Upload(models.Model):
    """One batch of files dropped on a case, processed by the task worker."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="uploads")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(max_length=12, choices=State, default=State.QUEUED)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Upload {self.pk} to {self.case_id}"

    def get_absolute_url(self) -> str:
        return reverse("lightbox-api:get_upload", args=[self.pk])


class UploadFile(models.Model):
    """One file of an upload (or one member of an uploaded zip), and what became of it."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    class Step(models.TextChoices):
        RECEIVED = "received", "Received"
        READ = "read", "Read"
        DEIDENTIFY = "deidentify", "De-identify"
        GROUP = "group", "Group into study and series"
        RENDER = "render", "Render"
        STORE = "store", "Store"
        INDEX = "index", "Index"

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="files")
    order = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200, help_text="A safe version of the uploaded name.")
    size = models.PositiveBigIntegerField(default=0)
    kind = models.CharField(max_length=12, blank=True, help_text="dicom, image, zip")
    state = models.CharField(max_length=10, choices=State, default=State.QUEUED)
    step = models.CharField(max_length=12, choices=Step, default=Step.RECEIVED)
    error = models.TextField(blank=True)
    # Where the raw bytes wait in the quarantine area; empty once they are wiped.
    quarantine = models.CharField(max_length=300, blank=True)
    instance = models.ForeignKey(
        Instance, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    image = models.ForeignKey(
        Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    report = models.JSONField(default=dict, blank=True, help_text="The de-identification report.")

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name
