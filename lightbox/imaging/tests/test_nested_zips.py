"""Zips inside zips: one expansion budget and a depth limit for the whole upload.

Each zip on its own is held to a compression ratio, but a zip of zips multiplies the
ratios of its levels: a 44 KB upload would expand to 400 MB, and a 30-level nest was
opened all the way down. The budget is the upload's, across levels, and it is enforced
before bytes are written.
"""

import io
import random
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lightbox.imaging import quarantine
from lightbox.imaging.models import Upload, UploadFile
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def author(client, people):
    client.force_login(people["alice"])
    return people["alice"]


@pytest.fixture
def written(monkeypatch):
    """Every byte written into quarantine, counted where it is written. Past 64 MB the
    test stops the write: an unbounded expansion must not fill the test machine."""
    counter = {"bytes": 0}
    real = quarantine._write_all

    def counting(fd, data):
        counter["bytes"] += len(data)
        if counter["bytes"] > 64 * MB:
            raise RuntimeError(f"{counter['bytes']:,} bytes written to quarantine")
        real(fd, data)

    monkeypatch.setattr(quarantine, "_write_all", counting)
    return counter


def _upload(client, case, name, data, capture):
    with capture(execute=True):
        response = client.post(
            f"/api/v1/cases/{case.number}/uploads", {"files": [SimpleUploadedFile(name, data)]}
        )
    assert response.status_code == 202, response.content
    return Upload.objects.get(pk=response.json()["id"])


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _zip_of_copies(name: str, data: bytes, copies: int) -> bytes:
    """A zip of ``copies`` identical members, deflated once (zipfile would deflate each
    copy again: 400 MB of work the test does not need). Identical compressed members
    are exactly what lets the outer zip shrink this one a hundredfold."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(data) + packer.flush()
    crc, out, central = zlib.crc32(data), io.BytesIO(), []
    for i in range(copies):
        member = f"{i:05d}-{name}".encode()
        offset = out.tell()
        sizes = (crc, len(packed), len(data), len(member))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, *sizes, 0))
        out.write(member + packed)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                *sizes,
                0,
                0,
                0,
                0,
                0o100644 << 16,
                offset,
            )  # fmt: skip
            + member
        )
    start = out.tell()
    out.write(b"".join(central))
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, copies, copies, out.tell() - start, start, 0)
    return out.getvalue() + end


def _sparse_megabyte() -> bytes:
    """1 MiB that deflates about 94 times: well inside one member's ratio limit (200)."""
    data = bytearray(MB)
    rng = random.Random(1)
    for i in range(0, MB, 300):
        data[i] = rng.randrange(1, 256)
    return bytes(data)


def test_it_refuses_a_two_level_zip_bomb_before_writing_past_the_upload_budget(
    client, author, written, settings, django_capture_on_commit_callbacks
):
    inner = _zip_of_copies("slice.bin", _sparse_megabyte(), 400)  # 4.5 MB -> 400 MB
    bomb = _zip({"inner.zip": inner})
    assert len(bomb) < 100_000  # a 44 KB upload ...
    case = make_case(created_by=author)

    upload = _upload(client, case, "bomb.zip", bomb, django_capture_on_commit_callbacks)

    budget = settings.MAX_EXPANSION_RATIO * len(bomb)
    assert upload.expansion_budget() == budget
    outer, middle = UploadFile.objects.filter(upload=upload).order_by("order")
    assert (outer.name, outer.state, outer.depth) == ("bomb.zip", "done", 0)
    assert (middle.name, middle.state, middle.depth) == ("bomb.zip/inner.zip", "failed", 1)
    assert "zip refused: zip expands to 419,430,400 bytes" in middle.error
    assert f"expand to at most {budget:,} bytes" in middle.error
    # ... of which nothing past the budget reached the disk, and nothing is left there.
    assert written["bytes"] <= len(bomb) + budget
    assert [p for p in settings.QUARANTINE_DIR.rglob("*") if p.is_file()] == []


def test_it_refuses_a_zip_that_would_pass_what_is_left_of_the_budget(
    client, author, written, settings, django_capture_on_commit_callbacks
):
    """Three inner zips, each within the budget, together over it: the first is opened,
    the others are refused for what is left."""
    settings.MAX_EXPANDED_BYTES = 5 * MB
    inner = _zip_of_copies("slice.bin", _sparse_megabyte(), 3)  # 33 KB -> 3 MB
    bomb = _zip({"a.zip": inner, "b.zip": inner, "c.zip": inner})
    case = make_case(created_by=author)

    upload = _upload(client, case, "nest.zip", bomb, django_capture_on_commit_callbacks)

    assert upload.expansion_budget() == 5 * MB
    states = dict(upload.files.filter(depth=1).values_list("name", "state"))
    assert states == {
        "nest.zip/a.zip": "done",
        "nest.zip/b.zip": "failed",
        "nest.zip/c.zip": "failed",
    }
    assert "expand to at most 5,242,880 bytes" in upload.files.get(name="nest.zip/b.zip").error
    assert upload.files.filter(depth=2).count() == 3
    assert upload.expanded_bytes() <= 5 * MB
    assert written["bytes"] <= len(bomb) + 5 * MB


def _nest(levels: int) -> bytes:
    data, name = png_bytes(), "deep.png"
    for level in range(levels):
        data, name = _zip({name: data}), f"level-{levels - level}.zip"
    return data


def test_it_opens_zips_three_levels_deep_and_no_deeper(
    client, author, written, settings, django_capture_on_commit_callbacks
):
    case = make_case(created_by=author)

    upload = _upload(client, case, "nest.zip", _nest(30), django_capture_on_commit_callbacks)

    rows = list(upload.files.order_by("order").values_list("depth", "state", "error"))
    assert [(depth, state) for depth, state, _ in rows] == [
        (0, "done"),
        (1, "done"),
        (2, "done"),
        (3, "failed"),
    ]
    assert "inside 3 other zips, and zips are opened at most 3 levels deep" in rows[-1][2]
    assert case.images.count() == 0
    assert upload.state == Upload.State.DONE


def test_the_depth_limit_is_a_setting(
    client, author, settings, django_capture_on_commit_callbacks
):
    settings.MAX_ZIP_DEPTH = 1
    case = make_case(created_by=author)
    upload = _upload(client, case, "nest.zip", _nest(2), django_capture_on_commit_callbacks)
    assert list(upload.files.values_list("depth", "state")) == [(0, "done"), (1, "failed")]


def test_a_zip_in_a_zip_still_imports(client, author, django_capture_on_commit_callbacks):
    inner = _zip({"a.png": png_bytes(), "b.png": png_bytes(color=40)})
    outer = _zip({"study/inner.zip": inner, "c.png": png_bytes(color=90)})
    case = make_case(created_by=author)

    upload = _upload(client, case, "outer.zip", outer, django_capture_on_commit_callbacks)

    assert sorted(upload.files.values_list("name", "depth", "state")) == [
        ("outer.zip", 0, "done"),
        ("outer.zip/c.png", 1, "done"),
        ("outer.zip/inner.zip", 1, "done"),
        ("outer.zip/inner.zip/a.png", 2, "done"),
        ("outer.zip/inner.zip/b.png", 2, "done"),
    ]
    assert case.images.count() == 3
