"""Stored image files get opaque names, and pictures stored with metadata lose it.

Image files and thumbnails used to be stored as ``cases/<number>/<name>-<hash>.<ext>``, the
name being a demo case's title slug or the uploader's file name, and every download
carried it in its Content-Disposition. Each file is now read and written again through the
storage API (local disk and S3 alike) as ``images/<case id>/<sha256[:24]>[-thumb].<ext>``,
the row is pointed at the new names, and the old files are deleted once that is committed.

Earlier versions re-encoded pictures but let Pillow carry a JPEG's comment and a PNG's ICC
profile into the stored file, and thumbnails kept the comment too. So a plain picture (not
a DICOM key image, which Lightbox rendered itself) is re-encoded from its pixels while it
is moved: a PNG always (losslessly), a JPEG only when it holds any segment beyond the bare
JFIF header (each JPEG re-encoding loses a little). Every thumbnail is made again from the
stored picture.

Idempotent: an image whose files already have opaque names is left alone, so running it
again finishes an interrupted run. Reversing is a no-op: the old names are what it removes.
"""

import hashlib
import io
import re

from django.core.files.base import ContentFile
from django.db import migrations, models, transaction
from PIL import Image as PILImage

import lightbox.imaging.models
from lightbox.imaging.dicom.picture import thumbnail_jpeg
from lightbox.imaging.dicom.prepare import RejectedFile, prepare_picture

# What the current code stores (images.py, image_path): a hash, "-thumb", and the suffix
# Django's storage adds when two images of a case have the same content.
OPAQUE = re.compile(r"images/\d+/[0-9a-f]{24}(-thumb)?(_[A-Za-z0-9]{7})?\.(png|jpg)")
# The APP0 segment Pillow writes: JFIF 1.01, no units, density 1:1, no thumbnail.
BARE_JFIF = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def forwards(apps, schema_editor):
    Image = apps.get_model("imaging", "Image")
    storage = Image._meta.get_field("file").storage
    # Plain values, not model instances: loading an ImageField row may open its file.
    rows = Image.objects.exclude(file="").order_by("pk")
    for row in rows.values("pk", "case_id", "series_id", "file", "thumbnail").iterator():
        if OPAQUE.fullmatch(row["file"]) and OPAQUE.fullmatch(row["thumbnail"] or ""):
            continue
        _store_opaque(Image, storage, row)


def _store_opaque(Image, storage, row) -> None:
    try:
        with storage.open(row["file"], "rb") as fp:
            data = fp.read()
    except FileNotFoundError:
        return  # nothing to move; the row is left as it is
    extension = row["file"].rsplit(".", 1)[-1].lower()
    if row["series_id"] is None and _carries_metadata(data):
        try:
            prepared = prepare_picture(data)
        except RejectedFile:
            pass  # undecodable: it is moved as it is, never lost
        else:
            data, extension = prepared.data, prepared.extension
    digest = hashlib.sha256(data).hexdigest()
    stem = f"images/{row['case_id']}/{digest[:24]}"
    file_name = storage.save(f"{stem}.{extension}", ContentFile(data))
    thumb = _thumbnail(storage, row["thumbnail"], data)
    thumb_name = storage.save(f"{stem}-thumb.jpg", ContentFile(thumb)) if thumb else ""
    old = [n for n in (row["file"], row["thumbnail"]) if n]
    Image.objects.filter(pk=row["pk"]).update(file=file_name, thumbnail=thumb_name, sha256=digest)
    # The row points at the old names until the migration commits.
    transaction.on_commit(lambda: [storage.delete(name) for name in old])


def _carries_metadata(data: bytes) -> bool:
    """Whether a stored picture holds anything but pixels: any JPEG segment beyond the
    bare JFIF header; a PNG always counts (re-encoding it loses nothing)."""
    try:
        with PILImage.open(io.BytesIO(data)) as img:
            if img.format != "JPEG":
                return True
            return getattr(img, "applist", []) != [("APP0", BARE_JFIF)]
    except Exception:  # noqa: BLE001 - an unreadable file is moved as it is
        return False


def _thumbnail(storage, old: str, data: bytes) -> bytes:
    """A thumbnail made from the stored picture; the old one's bytes if the picture cannot
    be decoded (empty if there is none)."""
    try:
        with PILImage.open(io.BytesIO(data)) as img:
            img.load()
            return thumbnail_jpeg(img)
    except Exception:  # noqa: BLE001 - keep what there was rather than lose it
        return _read(storage, old)


def _read(storage, name: str) -> bytes:
    if not name:
        return b""
    try:
        with storage.open(name, "rb") as fp:
            return fp.read()
    except FileNotFoundError:
        return b""


class Migration(migrations.Migration):
    dependencies = [("imaging", "0003_instance_frames_rendered_on_demand")]

    operations = [
        migrations.AlterField(
            model_name="image",
            name="thumbnail",
            field=models.ImageField(blank=True, upload_to=lightbox.imaging.models.thumbnail_path),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
