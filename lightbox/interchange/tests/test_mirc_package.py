"""Finding MIRCdocuments and their files in zips, folders and uploads (Django-free), and
refusing hostile packages in one line before anything is read."""

from __future__ import annotations

import io
import stat
import struct
import zipfile

import pytest

from lightbox.interchange.mirc.package import (
    FolderPackage,
    PackageError,
    UploadedPackage,
    ZipPackage,
    open_package,
)
from lightbox.interchange.tests.mircfiles import casemaker_files, document, mstf_files, zip_of
from lightbox.lib.archive import Limits
from lightbox.test import Named


def _refused(data: bytes, limits: Limits | None = None) -> str:
    with pytest.raises(PackageError) as refused:
        ZipPackage(io.BytesIO(data), limits).documents()
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_a_flat_mirc_export_has_one_document_and_finds_its_files():
    package = ZipPackage(io.BytesIO(zip_of(mstf_files())))
    assert [path for path, _ in package.documents()] == ["MIRCdocument.xml"]
    assert package.resolve("MIRCdocument.xml", "img1.dcm") == ("img1.dcm", "")
    assert package.resolve("MIRCdocument.xml", "IMG1.JPG") == ("img1.jpg", "")  # Windows
    assert package.resolve("MIRCdocument.xml", "missing.jpg") == (None, "is not in the package")
    assert package.resolve("MIRCdocument.xml", "http://example.org/a.jpg")[0] is None
    data = package.read({"img1.jpg", "img1.dcm"}, max_bytes=1000)
    assert isinstance(data["img1.jpg"], bytes)
    assert str(data["img1.dcm"]).startswith("too large")


def test_names_are_looked_up_beside_their_document():
    files = {**casemaker_files(), "other/MIRCdocument.xml": document("basic")}
    package = ZipPackage(io.BytesIO(zip_of(files)))
    assert [p for p, _ in package.documents()] == ["doc/casemaker.xml", "other/MIRCdocument.xml"]
    assert package.resolve("doc/casemaker.xml", "us1.jpg") == ("doc/us1.jpg", "")
    assert package.resolve("other/MIRCdocument.xml", "us1.jpg") == (None, "is not in the package")
    assert package.resolve("doc/casemaker.xml", "../../etc/passwd") == (
        None,
        "refers outside the document’s folder",
    )


def test_a_folder_and_uploaded_files_are_packages_too(tmp_path):
    for name, data in casemaker_files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    (tmp_path / "doc" / "link.xml").symlink_to("/etc/passwd")  # not followed
    folder = FolderPackage(tmp_path)
    assert [p for p, _ in folder.documents()] == ["doc/casemaker.xml"]
    assert folder.resolve("doc/casemaker.xml", "ct1.gif") == ("doc/ct1.gif", "")
    uploaded = open_package([Named(name, data) for name, data in casemaker_files().items()])
    assert isinstance(uploaded, UploadedPackage)
    assert [p for p, _ in uploaded.documents()] == ["casemaker.xml"]
    assert uploaded.resolve("casemaker.xml", "us1.jpg") == ("us1.jpg", "")
    assert isinstance(open_package([Named("x.zip", zip_of(casemaker_files()))]), ZipPackage)


def test_a_package_without_a_mircdocument_is_refused():
    assert _refused(zip_of({"notes.txt": b"hello", "meta.xml": b"<dataset/>"})) == (
        "no MIRCdocument found (an .xml file whose root is <MIRCdocument>)"
    )


def test_a_hostile_xml_file_anywhere_in_the_package_refuses_it():
    laughs = b'<!DOCTYPE m [<!ENTITY a "a">]><MIRCdocument>&a;</MIRCdocument>'
    message = _refused(zip_of({**mstf_files(), "extra/metadata.xml": laughs}))
    assert message == "extra/metadata.xml: entity declarations are not accepted (<!ENTITY a>)"
    deep = b"<MIRCdocument>" + b"<p>" * 10_000 + b"</p>" * 10_000 + b"</MIRCdocument>"
    assert _refused(zip_of({"MIRCdocument.xml": deep}, zipfile.ZIP_STORED)) == (
        "MIRCdocument.xml: elements nested more than 100 deep"
    )


def test_zip_slip_is_refused():
    message = _refused(zip_of({**mstf_files(), "../../../etc/cron.d/evil": b"* * * * * boom"}))
    assert message == "zip refused: member climbing out of the archive: '../../../etc/cron.d/evil'"
    assert _refused(zip_of({"/etc/passwd": b"x"})).startswith(
        "zip refused: member with an absolute"
    )


def test_a_symbolic_link_member_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("MIRCdocument.xml")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    assert _refused(out.getvalue()) == "zip refused: member is a symbolic link: 'MIRCdocument.xml'"


def _claiming(size: int) -> bytes:
    """A zip whose member says, in both its headers, that it is ``size`` bytes."""
    data = bytearray(zip_of({"MIRCdocument.xml": b"<MIRCdocument/>", "huge.dcm": b"\0" * 1000}))
    central = data.rfind(b"PK\x01\x02")  # the last central directory entry: huge.dcm
    struct.pack_into("<I", data, central + 24, size)
    local = data.find(b"PK\x03\x04", data.find(b"huge.dcm") - 40)
    struct.pack_into("<I", data, local + 22, size)
    return bytes(data)


def test_a_2_gb_member_is_refused_before_anything_is_read():
    two_gb = 2 * 1024**3 + 1
    limits = Limits(max_member_bytes=2 * 1024**3)
    assert _refused(_claiming(two_gb), limits) == (
        "zip refused: member 'huge.dcm' is too large (2,147,483,649 bytes)"
    )


def test_a_zip_bomb_is_refused():
    bomb = zip_of({"MIRCdocument.xml": b"<MIRCdocument/>", "bomb.dcm": b"\0" * 5_000_000})
    message = _refused(bomb, Limits(max_ratio=200))
    assert message == "zip refused: member compressed suspiciously well: 'bomb.dcm'"


def test_too_many_members_are_refused():
    files = {f"f{i}.txt": b"" for i in range(60)}
    assert _refused(zip_of(files), Limits(max_entries=50)) == (
        "zip refused: zip has 60 members (limit 50)"
    )


def test_a_huge_xml_file_is_refused_unread():
    big = b"<MIRCdocument>" + b" " * (6 * 1024 * 1024) + b"</MIRCdocument>"
    assert _refused(zip_of({"MIRCdocument.xml": big}, zipfile.ZIP_STORED)) == (
        "MIRCdocument.xml: XML too large: 6,291,485 bytes (limit 5,242,880)"
    )


def test_not_a_zip_is_refused():
    assert _refused(b"PK\x03\x04 but not really a zip").startswith(
        "zip refused: not a readable zip file"
    )
