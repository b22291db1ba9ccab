"""BagIt zips: written as RFC 8493 says, read as streams, hostile ones refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from lightbox.interchange.bundle.bag import BagError, BagReader, BagWriter, safe_bag_path
from lightbox.lib.archive import Limits


def bag(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with BagWriter(out, "b", {"Source-Organization": "Test"}) as writer:
        for path, data in files.items():
            writer.add(path, data)
    return out.getvalue()


def test_a_bag_reads_back_what_was_written():
    data = bag({"data/a.json": b"{}", "data/sub/b.bin": bytes(range(256)) * 10})
    reader = BagReader(io.BytesIO(data))
    seen: dict[str, bytes] = {}
    found = reader.verify(lambda path, body: seen.update({path: body}))
    assert sorted(found) == ["data/a.json", "data/sub/b.bin"]
    assert reader.read("data/sub/b.bin") == seen["data/sub/b.bin"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist()[0] == "b/bagit.txt"
        info = z.read("b/bag-info.txt").decode()
    assert "Payload-Oxum: 2562.2" in info and "Source-Organization: Test" in info


def test_a_bag_at_the_top_of_the_zip_reads_too():
    with zipfile.ZipFile(io.BytesIO(bag({"data/x": b"1"}))) as z:
        entries = {n.split("/", 1)[1]: z.read(n) for n in z.namelist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in entries.items():
            z.writestr(name, body)
    assert list(BagReader(io.BytesIO(out.getvalue())).verify()) == ["data/x"]


@pytest.mark.parametrize(
    "path", ["../x", "data/../../x", "/etc/passwd", "data/a b", "data/.hidden", "", "data//x"]
)
def test_unsafe_paths_are_not_bag_paths(path):
    assert not safe_bag_path(path)


def test_the_writer_refuses_what_is_not_payload():
    with BagWriter(io.BytesIO(), "b", {}) as writer:
        for path in ("bagit.txt", "data/../x", "other/x"):
            with pytest.raises(BagError):
                writer.add(path, b"")
        writer.add("data/x", b"")
        with pytest.raises(BagError, match="in the bag already"):
            writer.add("data/x", b"")


def test_a_file_changed_after_it_was_verified_is_refused():
    out = io.BytesIO()
    with BagWriter(out, "b", {}) as writer:
        writer.add("data/x", b"original", compress=False)
    path_data = out.getvalue()
    source = io.BytesIO(path_data)
    reader = BagReader(source)
    reader.verify()
    changed = path_data.replace(b"original", b"tampered")  # stored, so the bytes are there
    source.seek(0)
    source.write(changed)
    with pytest.raises(BagError, match="changed since the bag was verified|cannot be read"):
        reader.read("data/x")


def test_too_many_members_are_refused_before_any_is_read():
    data = bag({f"data/{i}": b"" for i in range(20)})
    with pytest.raises(BagError, match="members"):
        BagReader(io.BytesIO(data), Limits(max_entries=10)).verify()


def test_a_member_beside_the_bag_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a/bagit.txt", "BagIt-Version: 1.0\n")
        z.writestr("b/data/x", "1")
    with pytest.raises(BagError, match="unexpected member b/data/x: outside the bag"):
        BagReader(io.BytesIO(out.getvalue())).verify()


@pytest.mark.parametrize(
    "names", [["x/data/y"], ["a/bagit.txt", "b/bagit.txt"], ["a/b/bagit.txt"]]
)
def test_a_zip_without_one_bagit_txt_at_its_top_is_no_bag(names):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in names:
            z.writestr(name, "BagIt-Version: 1.0\n")
    with pytest.raises(BagError, match="not a bag"):
        BagReader(io.BytesIO(out.getvalue())).verify()
