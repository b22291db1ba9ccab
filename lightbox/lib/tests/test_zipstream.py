import io
import zipfile

from lightbox.lib.zipstream import stream


class Source:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def open(self, mode: str):
        return io.BytesIO(self.data)


def test_it_streams_a_valid_zip():
    members = [("a/1.dcm", Source(b"x" * 1000)), ("a/2.dcm", Source(b"y" * 300_000))]
    data = b"".join(stream(members))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist() == ["a/1.dcm", "a/2.dcm"]
        assert z.read("a/2.dcm") == b"y" * 300_000
        assert z.testzip() is None


def test_it_never_holds_the_whole_archive():
    members = [(f"{i}.dcm", Source(b"z" * 500_000)) for i in range(5)]
    assert max(len(chunk) for chunk in stream(members)) < 600_000
