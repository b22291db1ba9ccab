import io

import pytest
from PIL import Image as PILImage

from lightbox.imaging.images import InvalidImage, add_image, clean_image_bytes
from lightbox.imaging.models import Image
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db


def test_the_viewer_page_shows_the_image_large(client):
    case = make_case()
    image = add_image(case, png_bytes((300, 600)), caption="Whole body", is_main=True)
    html = client.get(image.get_absolute_url()).content.decode()
    assert f'src="{image.get_file_url()}"' in html
    assert 'alt="Whole body"' in html
    assert "Main image" in html


def test_the_viewer_tab_is_named_by_case_and_place_not_by_the_whole_caption(client):
    case = make_case()
    caption = "Anterior and posterior whole-body images, delayed phase, " * 3
    add_image(case, png_bytes(), caption="First", is_main=True)
    second = add_image(case, png_bytes(), caption=caption)
    html = client.get(second.get_absolute_url()).content.decode()
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith(f"Case {case.number} · image 2 of 2 · ")
    assert "delayed" not in title


def test_image_files_and_thumbnails_are_served(client):
    case = make_case()
    image = add_image(case, png_bytes((800, 400)), caption="x")
    full = client.get(image.get_file_url())
    assert full.status_code == 200 and full["Content-Type"] == "image/png"
    thumb = client.get(image.get_thumbnail_url())
    with PILImage.open(io.BytesIO(b"".join(thumb.streaming_content))) as img:
        assert max(img.size) <= 320


@pytest.mark.parametrize(("status", "visibility"), [("draft", "public"), ("published", "private")])
def test_images_of_hidden_cases_are_404(client, status, visibility):
    case = make_case(status=status, visibility=visibility)
    image = add_image(case, png_bytes())
    for url in (image.get_absolute_url(), image.get_file_url(), image.get_thumbnail_url()):
        assert client.get(url).status_code == 404


def test_an_image_is_only_found_under_its_own_case(client):
    image = add_image(make_case(), png_bytes())
    other = make_case()
    assert client.get(f"/cases/{other.number}/images/{image.pk}/full").status_code == 404
    assert client.get(f"/cases/{image.case.number}/images/{image.pk}/raw").status_code == 404


def test_an_image_without_its_file_yet_shows_a_placeholder(client):
    case = make_case()
    Image.objects.create(case=case, caption="Anterior view", is_main=True)
    html = client.get(case.get_absolute_url()).content.decode()
    assert "Image file not yet available" in html
    assert "Anterior view" in html
    assert "separate image viewer" not in html


def test_metadata_is_stripped_when_stored():
    source = PILImage.new("RGB", (40, 20), "white")
    exif = PILImage.Exif()
    exif[0x010E] = "Patient: Jane Doe"  # (0x010E) ImageDescription
    out = io.BytesIO()
    source.save(out, "JPEG", exif=exif)
    assert b"Jane Doe" in out.getvalue()
    cleaned, ext, _ = clean_image_bytes(out.getvalue())
    assert ext == "jpg"
    assert b"Jane Doe" not in cleaned


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50])
def test_bad_image_bytes_get_a_clear_error(data):
    with pytest.raises(InvalidImage, match="not a readable image"):
        clean_image_bytes(data)


def test_a_decompression_bomb_is_refused():
    out = io.BytesIO()
    PILImage.new("1", (12000, 12000)).save(out, "PNG")  # 144 Mpx, a few KB compressed
    with pytest.raises(InvalidImage, match="too large"):
        clean_image_bytes(out.getvalue())


def test_only_one_image_is_main():
    case = make_case()
    first = add_image(case, png_bytes(), is_main=True)
    second = add_image(case, png_bytes(color=20), is_main=True)
    first.refresh_from_db()
    assert (first.is_main, second.is_main) == (False, True)
