"""Pictures reach readers as pixels alone: the served bytes, walked segment by segment.

Each source picture carries identifying text in every metadata block its format has; it is
uploaded through the pipeline (quarantine, limited child, store) and fetched by an
anonymous reader through the full-image and thumbnail URLs. The JPEG and PNG walkers below
parse the container structure by hand on purpose: they must see every segment, including
the ones Pillow ignores.
"""

import io
import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as PILImage
from PIL import PngImagePlugin

from lightbox.imaging.dicom.prepare import RejectedFile, prepare_picture
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Image, PixelReview
from lightbox.imaging.review import Rect, mask
from lightbox.imaging.uploads import receive
from lightbox.test import Named, Nobody, make_case

pytestmark = pytest.mark.django_db

PLANTED = "Patient DOE^JOHN MRN 1234567 - Dx: glioblastoma"
NEEDLES = [
    b"DOE^JOHN",
    b"1234567",
    b"glioblastoma",
    "DOE^JOHN".encode("utf-16-be"),
    "DOE^JOHN".encode("utf-16-le"),
]

# -- what a served file may hold -------------------------------------------------------------

# JPEG markers: SOI, EOI, DQT, DHT, SOF0-2 (baseline, extended, progressive), SOS, DRI.
ALLOWED_JPEG = {0xD8, 0xD9, 0xDB, 0xC4, 0xC0, 0xC1, 0xC2, 0xDA, 0xDD}
# APP0 is allowed only as the bare JFIF header Pillow writes: JFIF 1.01, no density
# units, 1:1, no thumbnail. It names the colour space (YCbCr); nothing in it comes from
# the source.
BARE_JFIF = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
# PNG: the critical chunks, and tRNS (a colour key is pixels, not text).
ALLOWED_PNG = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
STANDALONE_JPEG = {0x01, 0xD8, *range(0xD0, 0xD8)}


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """Every marker segment of a JPEG file in order, as (marker, payload); the scan's
    entropy-coded data is skipped. Fails on anything after EOI (an MPO's second image)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments: list[tuple[int, bytes]] = [(0xD8, b"")]
    pos = 2
    while True:
        assert data[pos] == 0xFF, f"no marker at byte {pos}"
        while data[pos] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            segments.append((marker, b""))
            break
        if marker in STANDALONE_JPEG:
            segments.append((marker, b""))
            continue
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        segments.append((marker, data[pos + 2 : pos + length]))
        pos += length
        if marker == 0xDA:  # entropy-coded data up to the next real marker
            while True:
                pos = data.index(b"\xff", pos)
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    pos += 2
                    continue
                break
    assert data[pos:] == b"", f"{len(data) - pos} bytes after EOI"
    return segments


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk of a PNG file in order, as (type, data), CRCs checked. Fails on
    anything after IEND."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks = []
    pos = 8
    while True:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
        if kind == b"IEND":
            break
    assert data[pos:] == b"", f"{len(data) - pos} bytes after IEND"
    return chunks


def assert_bare(data: bytes) -> None:
    """``data`` is a JPEG or PNG holding only the segments a picture needs, and none of
    the planted text."""
    if data[:2] == b"\xff\xd8":
        for marker, payload in jpeg_segments(data):
            if marker == 0xE0:
                assert payload == BARE_JFIF, f"APP0 carries {payload!r}"
            else:
                assert marker in ALLOWED_JPEG, f"JPEG segment 0xFF{marker:02X} was kept"
    else:
        kinds = [kind for kind, _ in png_chunks(data)]
        assert set(kinds) <= ALLOWED_PNG, f"PNG chunks kept: {set(kinds) - ALLOWED_PNG}"
    for needle in NEEDLES:
        assert needle not in data


# -- pictures full of metadata --------------------------------------------------------------


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


D50 = (0.9642, 1.0, 0.8249)
# sRGB's primaries adapted to D50, as in the standard sRGB profile.
SRGB_RED, SRGB_GREEN, SRGB_BLUE = (
    (0.4361, 0.2225, 0.0139),
    (0.3851, 0.7169, 0.0971),
    (0.1431, 0.0606, 0.7141),
)


def icc_profile(
    description: str, red=SRGB_RED, green=SRGB_GREEN, blue=SRGB_BLUE, space=b"RGB "
) -> bytes:
    """A small ICC v2 display profile (matrix and gamma 2.2 curves) whose description
    and copyright are ``description``."""
    text = description.encode()
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text) + 1) + text + b"\0"
    desc += bytes(4) + bytes(4) + bytes(2) + bytes(1) + bytes(67)  # no Unicode, no Mac
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233)  # gamma 2.2 (u8Fixed8)
    tags = [
        (b"desc", desc),
        (b"cprt", b"text" + bytes(4) + text + b"\0"),
        (b"wtpt", _xyz(*D50)),
    ]
    if space == b"RGB ":
        tags += [(b"rXYZ", _xyz(*red)), (b"gXYZ", _xyz(*green)), (b"bXYZ", _xyz(*blue))]
        tags += [(b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    else:
        tags += [(b"kTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = struct.pack(">I", len(tags)), b""
    for signature, data in tags:
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    header = struct.pack(">I", offset + len(body)) + bytes(4) + bytes([2, 0x10, 0, 0])
    header += b"mntr" + space + b"XYZ " + bytes(12) + b"acsp" + bytes(24)
    header += bytes(4) + _s15(D50[0]) + _s15(D50[1]) + _s15(D50[2]) + bytes(4 + 16 + 28)
    assert len(header) == 128
    return header + table + body


def exif_block(orientation: int = 1) -> bytes:
    exif = PILImage.Exif()
    exif[0x010E] = PLANTED  # ImageDescription
    exif[0x013B] = PLANTED  # Artist
    exif[0x0131] = PLANTED  # Software
    exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\0\0\0" + PLANTED.encode()  # UserComment
    exif.get_ifd(0x8825)[0x001B] = b"ASCII\0\0\0" + PLANTED.encode()  # GPSProcessingMethod
    return exif.tobytes()


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _iptc() -> bytes:
    """An APP13 Photoshop 3.0 block with IPTC caption (2:120) and by-line (2:80)."""
    text = PLANTED.encode()
    records = b"".join(
        b"\x1c\x02" + bytes([n]) + struct.pack(">H", len(text)) + text for n in (120, 80)
    )
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(records)) + records
    return _segment(0xED, b"Photoshop 3.0\x00" + resource)


XMP = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>{PLANTED}</dc:creator></x:xmpmeta>'


def _rgb(size=(48, 32)) -> PILImage.Image:
    img = PILImage.new("RGB", size, (200, 60, 40))
    img.paste((20, 120, 220), (0, 0, size[0] // 2, size[1] // 2))
    return img


def jpeg_full_of_metadata() -> bytes:
    out = io.BytesIO()
    extra = _iptc()
    extra += _segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01")  # APP14, YCbCr transform
    extra += _segment(0xEB, b"LIGHTBOX\x00" + PLANTED.encode())  # any other APPn
    _rgb().save(
        out,
        "JPEG",
        comment=PLANTED.encode(),
        exif=exif_block(),
        xmp=XMP.encode(),
        icc_profile=icc_profile(PLANTED),
        dpi=(300, 300),
        extra=extra,
    )
    return out.getvalue()


def png_full_of_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", PLANTED)  # tEXt
    info.add_text("Description", PLANTED, zip=True)  # zTXt
    info.add_itxt("Author", PLANTED, lang="en", tkey="Author")  # iTXt
    info.add_itxt("XML:com.adobe.xmp", XMP, zip=True)  # XMP in a compressed iTXt
    info.add(b"tIME", struct.pack(">HBBBBB", 2024, 3, 4, 10, 0, 0))
    info.add(b"prVt", PLANTED.encode())  # a private ancillary chunk
    out = io.BytesIO()
    _rgb().save(
        out,
        "PNG",
        pnginfo=info,
        exif=exif_block(),
        icc_profile=icc_profile(PLANTED),
        dpi=(300, 300),
    )
    return out.getvalue()


def webp_full_of_metadata() -> bytes:
    out = io.BytesIO()
    _rgb().save(
        out,
        "WEBP",
        lossless=True,
        exif=exif_block(),
        xmp=XMP.encode(),
        icc_profile=icc_profile(PLANTED),
    )
    return out.getvalue()


def tiff_full_of_metadata() -> bytes:
    out = io.BytesIO()
    tags = {270: PLANTED, 315: PLANTED, 305: PLANTED, 269: PLANTED, 33432: PLANTED}
    _rgb().save(out, "TIFF", tiffinfo=tags, icc_profile=icc_profile(PLANTED))
    return out.getvalue()


def mpo_full_of_metadata() -> bytes:
    out = io.BytesIO()
    second = PILImage.new("RGB", (48, 32), (0, 0, 255))
    _rgb().save(
        out,
        "MPO",
        save_all=True,
        append_images=[second],
        comment=PLANTED.encode(),
        exif=exif_block(),
    )
    return out.getvalue()


def gif_full_of_metadata() -> bytes:
    out = io.BytesIO()
    _rgb().convert("P").save(out, "GIF", comment=PLANTED.encode())
    return out.getvalue()


SOURCES = {
    "jpeg": (jpeg_full_of_metadata, "JPEG"),
    "png": (png_full_of_metadata, "PNG"),
    "webp": (webp_full_of_metadata, "PNG"),
    "tiff": (tiff_full_of_metadata, "PNG"),
    "mpo": (mpo_full_of_metadata, "JPEG"),
    "gif": (gif_full_of_metadata, "PNG"),
}


def _upload(case, name: str, data: bytes) -> Image:
    upload = process_upload(receive(case, Nobody(), [Named(name, data)]).pk)
    f = upload.files.get()
    assert (f.state, f.error) == ("done", "")
    return f.image


def _served(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# -- tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SOURCES)
def test_it_serves_a_picture_without_any_metadata_segment(client, kind):
    make, served_format = SOURCES[kind]
    source = make()
    assert b"DOE^JOHN" in source or kind == "png"  # (the PNG's are compressed too)
    image = _upload(make_case(), f"photo.{kind}", source)
    full = _served(client, image.get_file_url())
    thumb = _served(client, image.get_thumbnail_url())
    with PILImage.open(io.BytesIO(full)) as picture:
        assert picture.format == served_format
        assert picture.size == (48, 32)
    assert_bare(full)
    assert_bare(thumb)


def test_it_keeps_an_mpo_to_its_primary_image():
    prepared = prepare_picture(mpo_full_of_metadata())
    with PILImage.open(io.BytesIO(prepared.data)) as picture:
        assert picture.format == "JPEG"
        r, g, b = picture.convert("RGB").getpixel((40, 28))
        assert r > 150 and b < 100  # the first image's colour, not the second's blue


def test_it_converts_a_picture_with_an_icc_profile_to_srgb(client):
    # A profile whose red and green primaries are swapped: its pure red is sRGB's green.
    swapped = icc_profile("Swapped", red=SRGB_GREEN, green=SRGB_RED)
    out = io.BytesIO()
    PILImage.new("RGB", (16, 16), (255, 0, 0)).save(out, "PNG", icc_profile=swapped)
    image = _upload(make_case(), "figure.png", out.getvalue())
    full = _served(client, image.get_file_url())
    assert_bare(full)
    with PILImage.open(io.BytesIO(full)) as picture:
        r, g, b = picture.convert("RGB").getpixel((8, 8))
    assert g > 200 and r < 60 and b < 60, (r, g, b)


def test_it_keeps_a_grey_picture_with_a_grey_profile_grey():
    out = io.BytesIO()
    PILImage.new("L", (16, 16), 90).save(
        out, "PNG", icc_profile=icc_profile(PLANTED, space=b"GRAY")
    )
    prepared = prepare_picture(out.getvalue())
    assert_bare(prepared.data)
    with PILImage.open(io.BytesIO(prepared.data)) as picture:
        assert picture.mode == "L"


def test_it_keeps_a_photo_upright_when_its_orientation_tag_goes():
    out = io.BytesIO()
    # Orientation 6: the stored pixels are to be turned 90 degrees clockwise.
    _rgb((48, 32)).save(out, "JPEG", exif=exif_block(orientation=6))
    prepared = prepare_picture(out.getvalue())
    assert_bare(prepared.data)
    assert (prepared.width, prepared.height) == (32, 48)
    with PILImage.open(io.BytesIO(prepared.data)) as picture:
        assert picture.size == (32, 48)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "TIFF", "PNG"])
def test_it_refuses_an_animated_or_multi_page_picture_with_a_clear_error(fmt):
    frames = [PILImage.new("RGB", (16, 16), colour) for colour in ("red", "blue", "green")]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:])
    with pytest.raises(RejectedFile, match=r"animated or multi-page .*3 frames"):
        prepare_picture(out.getvalue())


def test_it_masks_a_stored_picture_without_carrying_its_metadata(
    client, people, django_capture_on_commit_callbacks
):
    """A picture stored by an earlier version, comment and profile included, is masked:
    the new file and thumbnail hold its pixels alone, and the old ones are gone (the old
    thumbnail shows what was masked, too)."""
    case = make_case(created_by=people["alice"])
    image = Image(case=case, is_main=True, pixel_review=PixelReview.NEEDED)
    source = io.BytesIO()
    _rgb().save(source, "PNG", icc_profile=icc_profile(PLANTED))
    image.file.save("old.png", ContentFile(source.getvalue()), save=False)
    image.thumbnail.save("old.jpg", ContentFile(jpeg_full_of_metadata()), save=False)
    image.width, image.height = 48, 32
    image.save()
    old = [image.file.name, image.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        mask(image, [Rect(0, 0, 8, 8)])
    image.refresh_from_db()
    assert not any(default_storage.exists(name) for name in old)
    client.force_login(people["alice"])
    full = _served(client, image.get_file_url())
    assert_bare(full)
    assert_bare(_served(client, image.get_thumbnail_url()))
    with PILImage.open(io.BytesIO(full)) as picture:
        assert picture.convert("RGB").getpixel((2, 2)) == (0, 0, 0)


def test_the_walkers_see_what_they_must_refuse():
    """The checks above can fail: a source file's own segments are refused."""
    commented = io.BytesIO()
    _rgb().save(commented, "JPEG", comment=b"x")
    with pytest.raises(AssertionError, match="JPEG segment 0xFFFE"):
        assert_bare(commented.getvalue())
    info = PngImagePlugin.PngInfo()
    info.add_text("k", "v")
    texted = io.BytesIO()
    _rgb().save(texted, "PNG", pnginfo=info)
    with pytest.raises(AssertionError, match="tEXt"):
        assert_bare(texted.getvalue())
    with pytest.raises(AssertionError, match="after EOI"):
        jpeg_segments(mpo_full_of_metadata())


def test_it_serves_dicom_renderings_without_metadata(client):
    """The key image, its thumbnail and a frame rendered from a DICOM file are pixels too."""
    from pydicom.data import get_testdata_file

    with open(get_testdata_file("CT_small.dcm", download=False), "rb") as fp:
        upload = process_upload(receive(make_case(), Nobody(), [Named("ct.dcm", fp.read())]).pk)
    instance = upload.files.get().instance
    image = instance.series.image
    number = image.case.number
    for url in (
        image.get_file_url(),
        image.get_thumbnail_url(),
        f"/cases/{number}/instances/{instance.pk}/frames/1.png",
    ):
        assert_bare(_served(client, url))
