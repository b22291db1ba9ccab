"""Turning bytes into a stored case image: validate, strip metadata, thumbnail.

Pillow's decompression-bomb guard is on (``MAX_IMAGE_PIXELS``); every image is re-encoded
from its pixels alone, so no comment, EXIF, XMP, GPS, ICC or text block reaches storage,
and every stored file is named by its content hash.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from PIL import Image as PILImage

from lightbox.cases.models import Case
from lightbox.imaging.dicom.picture import THUMBNAIL_SIZE, thumbnail_jpeg
from lightbox.imaging.dicom.prepare import PreparedPicture, RejectedFile, prepare_picture
from lightbox.imaging.dicom.render import Rendered, RenderError, render_file
from lightbox.imaging.models import Image, Instance, PixelReview, Series, UploadFile

__all__ = [
    "InvalidImage",
    "THUMBNAIL_SIZE",
    "add_image",
    "clean_image_bytes",
    "show_series",
    "store_picture",
    "waiting_image",
]


class InvalidImage(ValueError):
    """The bytes are not an image we accept; the message says why, in one line."""


def clean_image_bytes(data: bytes) -> tuple[bytes, str, PILImage.Image]:
    """Decode ``data`` and re-encode its pixels alone (see :func:`prepare_picture`).

    Returns the new bytes, the file extension ("png" or "jpg") and the decoded image.
    Photographs (JPEG) stay JPEG; everything else becomes PNG (lossless).
    """
    try:
        prepared = prepare_picture(data)
    except RejectedFile as e:
        raise InvalidImage(str(e)) from None
    img = PILImage.open(io.BytesIO(prepared.data))
    img.load()
    return prepared.data, prepared.extension, img


def _thumbnail(img: PILImage.Image) -> bytes:
    """A JPEG thumbnail made from the pixels of ``img`` alone: whatever ``img.info``
    holds (a comment, a profile) is not written."""
    return thumbnail_jpeg(img, THUMBNAIL_SIZE)


def _save_files(image: Image, data: bytes, extension: str, picture: PILImage.Image) -> None:
    """Put a cleaned picture and its thumbnail on ``image`` (not yet saved).

    Both are stored under the picture's SHA-256 (see ``image_path``), never under a name
    a person wrote: a title, a caption or an uploaded file name may be a patient's.
    """
    image.sha256 = hashlib.sha256(data).hexdigest()
    image.file.save(f"{image.sha256[:24]}.{extension}", ContentFile(data), save=False)
    thumb = ContentFile(_thumbnail(picture))
    image.thumbnail.save(f"{image.sha256[:24]}.jpg", thumb, save=False)
    image.width, image.height = picture.size


@transaction.atomic
def add_image(
    case: Case,
    data: bytes,
    *,
    caption: str = "",
    answer_caption: str = "",
    is_main: bool = False,
) -> Image:
    """Store ``data`` as the next image of ``case``, under an opaque name, with its
    caption before the answer and its caption after it.

    Raises
    ------
    InvalidImage
        When the bytes are not a JPEG/PNG/GIF/WebP/TIFF that Pillow can decode within
        limits.
    """
    clean, ext, img = clean_image_bytes(data)
    with transaction.atomic():
        _lock_images_of(case)
        if is_main:
            case.images.filter(is_main=True).update(is_main=False)
        image = Image(case=case, order=case.images.count(), caption=caption, is_main=is_main)
        image.answer_caption = answer_caption
        _save_files(image, clean, ext, img)
        image.save()
    return image


def _lock_images_of(case: Case) -> None:
    """Hold ``case``'s row until the transaction ends: whoever adds an image to a case
    decides its place and whether it is the main image from the images already there,
    and two workers storing two uploads of one case at once both found no main image
    (PostgreSQL refused the second: ``image_one_main_per_case``, and the upload failed).
    SQLite's transactions already take the write lock first."""
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()


@transaction.atomic
def store_picture(case: Case, picture: PreparedPicture) -> Image:
    """Store an already cleaned picture as the next image of ``case``, under an opaque
    name."""
    _lock_images_of(case)
    image = Image(case=case, order=case.images.count())
    image.is_main = not case.images.filter(is_main=True).exists()
    _save_files(image, picture.data, picture.extension, PILImage.open(io.BytesIO(picture.data)))
    image.save()
    return image


# Instances tried for a series' key image before giving up on it: those nearest the
# middle first. A series none of whose first tries renders is shown without a picture.
KEY_ATTEMPTS = 10


def render_in_process(instance: Instance) -> Rendered:
    """Render an instance's middle frame here, in this process (the web process, for a
    file it has just written itself, such as a masked one)."""
    with instance.file.open("rb") as fp:
        return render_file(fp.read())


def show_series(
    series: Series, *, render: Callable[[Instance], Rendered] = render_in_process
) -> Image | None:
    """Create or refresh the case image that shows ``series``: its key frame, thumbnail
    and pixel-review state. Call it whenever the series changes.

    The pixel-review state is derived from the instances' own states every time (see
    :meth:`PixelReview.of_series`): one flagged instance added to a clean series makes
    the whole series need review, whether or not its key frame changed.

    An image waiting for this series keeps its place, captions and main flag and becomes
    its view (see :func:`waiting_image`); otherwise a new image is added at the end.

    The key frame is the middle frame of the middle instance; an instance that cannot be
    rendered (``render`` raises :class:`RenderError`) is marked with the reason and the
    next nearest one is tried (at most :data:`KEY_ATTEMPTS`). A series with no renderable
    instance keeps an image without a picture, so its authors see it. Returns ``None``
    for a series without instances.
    """
    instances = list(series.instances.all())
    if not instances:
        return None
    state = PixelReview.of_series(i.pixel_review for i in instances)
    rendered = _key_frame(instances, render)
    case = series.study.case
    with transaction.atomic():
        _lock_images_of(case)
        image = Image.objects.select_for_update().filter(series=series).first()
        adopted = image is None and (image := waiting_image(series)) is not None
        if image is None:
            image = Image(case=case, series=series, order=case.images.count())
        changed = adopted or image.pk is None or image.pixel_review != state
        image.pixel_review = state
        if rendered is not None and image.sha256 != (digest := _sha256(rendered.png)):
            if not image.file:
                # Its first picture: the main image if the case has none (a series that
                # could not be shown never became the main image).
                others = case.images.filter(is_main=True).exclude(pk=image.pk)
                image.is_main = image.is_main or not others.exists()
            image.sha256 = digest
            _forget_on_commit(image)
            name = f"series-{series.pk}-{digest[:12]}"
            image.file.save(f"{name}.png", ContentFile(rendered.png), save=False)
            picture = PILImage.open(io.BytesIO(rendered.png))
            image.thumbnail.save(f"{name}-thumb.jpg", ContentFile(_thumbnail(picture)), save=False)
            image.width, image.height = rendered.width, rendered.height
            changed = True
        if changed:
            image.save()
    return image


def waiting_image(series: Series) -> Image | None:
    """The image of the series' case that one of its upload files was sent for
    (``UploadFile.image`` set before processing, as an importer does for a captioned
    image whose original is this DICOM) and that shows no series yet: the first by
    order, locked, its ``series`` set (unsaved). None when there is none."""
    sent_for = UploadFile.objects.filter(instance__series=series, image__isnull=False)
    image = (
        Image.objects.select_for_update()
        .filter(
            case_id=series.study.case_id,
            series__isnull=True,
            pk__in=sent_for.values("image"),
        )
        .order_by("order", "pk")
        .first()
    )
    if image is not None:
        image.series = series
    return image


def _forget_on_commit(image: Image) -> None:
    """Delete the picture and thumbnail ``image`` shows now, once its new ones are
    committed: an old key frame may show what pixel review has since masked, and no row
    will point at it again."""
    old = [name for name in (image.file.name, image.thumbnail.name) if name]
    if old:
        _delete_on_commit(image.file.storage, old)


def _delete_on_commit(storage: Storage, names: list[str]) -> None:
    """Delete the files ``names`` from ``storage`` once the transaction commits."""

    def delete() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete)


def _key_frame(
    instances: list[Instance], render: Callable[[Instance], Rendered]
) -> Rendered | None:
    """The key frame of the series: the middle instance's, or the nearest one's that
    renders; each that does not is marked (``Instance.render_error``)."""
    middle = len(instances) // 2
    by_distance = sorted(range(len(instances)), key=lambda i: (abs(i - middle), i))
    tried = 0
    for index in by_distance:
        instance = instances[index]
        if instance.render_error:
            continue  # known not to render
        if tried == KEY_ATTEMPTS:
            break
        tried += 1
        try:
            return render(instance)
        except RenderError as e:
            instance.render_error = str(e)[:300]
            Instance.objects.filter(pk=instance.pk).update(render_error=instance.render_error)
    return None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
