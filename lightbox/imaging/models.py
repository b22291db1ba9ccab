"""Images shown on a case, and the de-identified DICOM underneath them.

An :class:`Image` is what a case shows: a caption for before the answer and one for after
it, an order, the main flag and a rendered picture with its thumbnail. It is either a plain
picture (a JPEG or PNG upload, stripped of metadata) or a view onto a DICOM
:class:`Series`, whose :class:`Instance` rows hold the de-identified DICOM files. Uploads
(:class:`Upload`, one :class:`UploadFile` per file) are processed by the task worker;
nothing identifiable is ever stored.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from lightbox.cases.models import Case


def derived_storage() -> Storage:
    return storages["derived"]


# A stored name's stem: a hex content hash and nothing else.
_HEX_STEM = re.compile(r"[0-9a-f]{16,64}")
_STORED_EXTENSIONS = (".png", ".jpg", ".dcm")


def opaque_name(filename: str, sha256: str, suffix: str = "") -> str:
    """The base name a file is stored under: a content hash, ``suffix`` and the extension.

    Stored names reach readers (FileResponse derives a download's name from them, and a
    storage listing shows them), and a title, caption or uploaded file name may hold a
    patient's name or the answer. So no name a person wrote is ever used: the stem is
    ``filename``'s when it is a hex digest already, else the row's ``sha256``, else a
    random token; only a known extension is kept.

    >>> opaque_name("glioblastoma-DOE-JOHN.png", "ab" * 32, "-thumb")
    'abababababababababababab-thumb.png'
    """
    stem, ext = os.path.splitext(os.path.basename(filename))
    ext = ext.lower() if ext.lower() in _STORED_EXTENSIONS else ".bin"
    if not _HEX_STEM.fullmatch(stem):
        stem = sha256[:24] if _HEX_STEM.fullmatch(sha256) else uuid.uuid4().hex[:24]
    return f"{stem}{suffix}{ext}"


def instance_path(instance: Instance, filename: str) -> str:
    """``dicom/<case id>/<series id>/<hash>.dcm``: ids and a hash only."""
    name = opaque_name(filename, instance.sha256)
    return f"dicom/{instance.series.study.case_id}/{instance.series_id}/{name}"


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

    @classmethod
    def of_series(cls, states: Iterable[str]) -> PixelReview:
        """The state a series shows, from its instances' own states: NEEDED while any
        instance still needs review (the series is hidden from readers and blocks
        publication), else MASKED if any was masked, CONFIRMED if any was confirmed,
        NOT_NEEDED otherwise.

        >>> PixelReview.of_series(["not_needed", "confirmed", "needed"])
        PixelReview.NEEDED
        >>> PixelReview.of_series(["not_needed", "masked", "confirmed"])
        PixelReview.MASKED
        """
        seen = set(states)
        for state in (cls.NEEDED, cls.MASKED, cls.CONFIRMED):
            if state in seen:
                return state
        return cls.NOT_NEEDED


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
    # Each instance is reviewed on its own: a flagged file added later to a clean series
    # is hidden until it is reviewed, and makes the series' image need review again.
    pixel_review = models.CharField(
        max_length=12, choices=PixelReview, default=PixelReview.NOT_NEEDED
    )
    # Why this file's pixels cannot be shown as a picture (one line), once trying to
    # render it failed; empty when it rendered or was not tried. It is stored all the same.
    render_error = models.CharField(max_length=300, blank=True)
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
    """``images/<case id>/<hash>.<png|jpg>``: an id and a hash only (the case number would
    do no harm, but it changes when a case moves to another series)."""
    return f"images/{instance.case_id}/{opaque_name(filename, instance.sha256)}"


def thumbnail_path(instance: Image, filename: str) -> str:
    """``images/<case id>/<hash>-thumb.jpg``, beside its picture."""
    return f"images/{instance.case_id}/{opaque_name(filename, instance.sha256, '-thumb')}"


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
    thumbnail = models.ImageField(upload_to=thumbnail_path, blank=True)
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
        return self._versioned(
            reverse("lightbox-image-file", args=[self.case.number, self.pk, "full"])
        )

    def get_thumbnail_url(self) -> str:
        if not self.thumbnail:
            return ""
        return self._versioned(
            reverse("lightbox-image-file", args=[self.case.number, self.pk, "thumb"])
        )

    def _versioned(self, url: str) -> str:
        # Browsers keep an image for a day (see views.image_file): a masked or re-rendered
        # picture gets a new address, so its author never sees the old pixels again.
        return f"{url}?v={self.sha256[:12]}" if self.sha256 else url


class Upload(models.Model):
    """One batch of files dropped on a case, processed by the task worker.

    An upload is *receiving* while its files arrive, in one request or in several (a
    browser sends a 1,000-slice folder in parts); nothing is processed until it is
    finished, which queues it once. An open upload nobody finishes is cancelled by the
    worker's sweep (:func:`lightbox.imaging.uploads.sweep_abandoned`).
    """

    class State(models.TextChoices):
        RECEIVING = "receiving", "Receiving"
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
    # Set once the names files were uploaded under are forgotten (UPLOAD_NAMES_DAYS).
    names_forgotten = models.BooleanField(default=False)
    # Orders (and quarantine names) are handed out here, so that parts received at the
    # same time, and zip members, never share one.
    next_order = models.PositiveIntegerField(default=0)
    last_received = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When files last arrived (an open upload idles from here).",
    )
    # The one process processing it (host:pid:nonce), and when it last said it is alive:
    # a second worker, or the command line beside a worker, leaves it alone
    # (see lightbox.imaging.lease).
    owner = models.CharField(max_length=120, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    # The calling AE title of the PACS that sent these files over DICOM (C-STORE);
    # empty for an upload from a browser, the API or the command line.
    received_from = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Upload {self.pk} to {self.case_id}"

    def sent_bytes(self) -> int:
        """Bytes of the files as sent (not zip members): what ``MAX_UPLOAD_BYTES`` limits."""
        return self._bytes(depth=0)

    def expanded_bytes(self) -> int:
        """Bytes written out of zips so far, at every level of nesting."""
        return self._bytes(depth__gt=0)

    def expansion_budget(self) -> int:
        """How many bytes all zips of this upload, at every level, may expand to:
        ``MAX_EXPANSION_RATIO`` times the bytes sent, and never more than
        ``MAX_EXPANDED_BYTES``. A zip of zips multiplies the ratio each level allows; this
        budget is for the whole upload, so nesting gains an attacker nothing."""
        return min(settings.MAX_EXPANDED_BYTES, settings.MAX_EXPANSION_RATIO * self.sent_bytes())

    def _bytes(self, **where: int) -> int:
        return self.files.filter(**where).aggregate(n=models.Sum("size"))["n"] or 0

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
        # The labels say what happens to the file, for the author watching it.
        RECEIVED = "received", "Waiting"
        READ = "read", "Reading"
        DEIDENTIFY = "deidentify", "Removing identifiers"
        GROUP = "group", "Sorting into study and series"
        RENDER = "render", "Making pictures"
        STORE = "store", "Storing"
        INDEX = "index", "Adding to the case"

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="files")
    order = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200, help_text="A safe version of the uploaded name.")
    size = models.PositiveBigIntegerField(default=0)
    # 0 for a file as sent; a zip member is one deeper than its zip (see MAX_ZIP_DEPTH).
    depth = models.PositiveSmallIntegerField(default=0)
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

    @property
    def needs_pixel_review(self) -> bool:
        return self.state == self.State.DONE and bool(self.report.get("needs_pixel_review"))

    @property
    def progress(self) -> str:
        """Where the file is, in words: the step it is at, or how it ended."""
        if self.state == self.State.QUEUED:
            return self.get_step_display()
        if self.state == self.State.FAILED:
            return f"Stopped ({self.get_step_display().lower()})"
        return self.get_state_display()

    @property
    def outcome(self) -> str:
        """What became of the file, in words (the error of one that failed)."""
        if self.state == self.State.FAILED:
            return self.error
        if self.needs_pixel_review:
            found = f"; {self.error}" if self.error else ""
            return f"Stored; needs pixel review (possible burned-in text){found}"
        if self.error:
            return f"{self.get_state_display()}: {self.error}"
        return {"done": "Stored", "skipped": "Skipped"}.get(self.state, "Waiting")


class ReceivedStudy(models.Model):
    """A study a PACS sent over DICOM, and the draft case it landed in.

    One row per study (by its re-mapped Study Instance UID, never the original): every
    instance of the study, whenever it arrives, goes to the same case. The case belongs
    to the author the calling AE title is mapped to, or to nobody: then it waits in the
    inbox until an author claims it (:mod:`lightbox.imaging.received`).

    An IHE TCE export adds a *manifest* (a Key Object Selection document "For Teaching
    File Export"): the instances it selects (re-mapped SOP Instance UIDs), and the
    author's note. The manifest waits for them until ``manifest_deadline``; then it is
    complete, or incomplete — never waiting for ever.
    """

    class ManifestState(models.TextChoices):
        NONE = "", "No manifest"
        WAITING = "waiting", "Waiting for the selected images"
        COMPLETE = "complete", "Complete"
        INCOMPLETE = "incomplete", "Incomplete"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="received_studies")
    study_uid = models.CharField("Study Instance UID (re-mapped)", max_length=64, unique=True)
    calling_ae = models.CharField("sent by (calling AE title)", max_length=16)
    first_received = models.DateTimeField(default=timezone.now)
    last_received = models.DateTimeField(default=timezone.now)
    instances_received = models.PositiveIntegerField(default=0)
    # Instances the manifest did not select, not kept (received after it).
    instances_not_selected = models.PositiveIntegerField(default=0)
    manifest = models.CharField(
        max_length=10, choices=ManifestState, default=ManifestState.NONE, blank=True
    )
    manifest_title = models.CharField(max_length=100, blank=True)
    selected = models.JSONField(
        default=list, blank=True, help_text="Re-mapped SOP Instance UIDs the manifest selects."
    )
    selected_arrived = models.PositiveIntegerField(default=0)
    manifest_received = models.DateTimeField(null=True, blank=True)
    manifest_deadline = models.DateTimeField(null=True, blank=True)
    note = models.TextField("author's note", blank=True)

    class Meta:
        ordering = ["-last_received", "pk"]
        verbose_name_plural = "received studies"

    def __str__(self) -> str:
        return f"Study received from {self.calling_ae} for {self.case_id}"

    @property
    def in_inbox(self) -> bool:
        """Whether its case waits for an author to claim it."""
        return self.case.created_by_id is None

    @property
    def selected_missing(self) -> int:
        return max(len(self.selected) - self.selected_arrived, 0)
