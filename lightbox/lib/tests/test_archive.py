"""Hostile zips and file names."""

import io
import stat
import zipfile

import pytest

from lightbox.lib.archive import ArchiveError, Limits, iter_zip, safe_name


def _zip(members: dict[str, bytes], **kw) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, **kw) as z:
        for name, data in members.items():
            z.writestr(name, data)
    out.seek(0)
    return out


def _read_all(fp, limits=None):
    return {m.name: stream.read() for m, stream in iter_zip(fp, limits)}


def test_it_reads_regular_members_by_safe_name():
    fp = _zip({"study/series/IM0001.dcm": b"a" * 10, "IM0002": b"b", "dir/": b""})
    assert _read_all(fp) == {"IM0001.dcm": b"a" * 10, "IM0002": b"b"}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../evil.dcm", "climbing out"),
        ("a/../../evil.dcm", "climbing out"),
        ("/etc/passwd", "absolute path"),
        ("C:/Windows/evil.dcm", "absolute path"),
        ("..\\evil.dcm", "climbing out"),
    ],
)
def test_it_refuses_members_that_escape(path, message):
    fp = _zip({"ok.dcm": b"x", path: b"y"})
    with pytest.raises(ArchiveError, match=message):
        _read_all(fp)


def test_it_refuses_before_yielding_anything():
    fp = _zip({"ok.dcm": b"x", "../evil": b"y"})
    generator = iter_zip(fp)
    with pytest.raises(ArchiveError):
        next(generator)


def test_it_refuses_symlinks():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        info = zipfile.ZipInfo("link.dcm")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, "/etc/shadow")
    out.seek(0)
    with pytest.raises(ArchiveError, match="symbolic link"):
        _read_all(out)


def test_it_refuses_too_many_members():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for i in range(101):
            z.writestr(f"f{i}", b"")
    out.seek(0)
    with pytest.raises(ArchiveError, match="101 members"):
        _read_all(out, Limits(max_entries=100))


def test_a_hundred_thousand_entries_are_refused_quickly():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for i in range(100_000):
            z.writestr(zipfile.ZipInfo(f"{i}"), b"")
    out.seek(0)
    with pytest.raises(ArchiveError, match="100,000 members"):
        _read_all(out)


def test_it_refuses_a_zip_bomb():
    fp = _zip({"bomb.dcm": b"\0" * (50 * 1024 * 1024)})  # 50 MB of zeros, ~50 KB packed
    with pytest.raises(ArchiveError, match="compressed suspiciously well"):
        _read_all(fp)


def test_it_refuses_archives_that_expand_past_the_total_limit():
    fp = _zip({"a": b"x" * 600, "b": b"y" * 600})
    with pytest.raises(ArchiveError, match="expands to 1,200 bytes"):
        _read_all(fp, Limits(max_total_bytes=1000, max_ratio=10_000))


def test_a_member_lying_about_its_size_is_stopped():
    fp = _zip({"liar": b"z" * 5000})
    data = bytearray(fp.getvalue())
    # Shrink the declared size in both headers: the stream must not trust it.
    for header, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(header) + offset
        data[at : at + 4] = (100).to_bytes(4, "little")
    with pytest.raises(ArchiveError):
        _read_all(io.BytesIO(bytes(data)), Limits(max_ratio=10_000))


@pytest.mark.parametrize(
    "data", [b"", b"PK\x03\x04 truncated", b"not a zip at all", b"\x00" * 100]
)
def test_it_refuses_what_is_not_a_zip(data):
    with pytest.raises(ArchiveError, match="not a readable zip"):
        _read_all(io.BytesIO(data))


def test_it_refuses_encrypted_members():
    fp = _zip({"a.dcm": b"x"})
    data = bytearray(fp.getvalue())
    for header, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(header) + offset
        data[at] |= 0x1
    with pytest.raises(ArchiveError, match="encrypted"):
        _read_all(io.BytesIO(bytes(data)))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IM0001.dcm", "IM0001.dcm"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\scan.jpg", "scan.jpg"),
        ("scan\x00.dcm", "scan.dcm"),
        ("<script>.png", "script_.png"),
        ("", "file"),
        ("..", "file"),
        ("\x00\x00", "file"),
    ],
)
def test_safe_names(name, expected):
    assert safe_name(name) == expected


def test_a_300_character_name_is_shortened_keeping_its_extension():
    name = safe_name("a" * 300 + ".dcm")
    assert len(name) == 120
    assert name.endswith(".dcm")
