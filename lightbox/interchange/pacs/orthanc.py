"""A throwaway Orthanc on loopback, for the forwarding test and the receive benchmark.

Debian's ``orthanc`` package (``apt-get install orthanc``; ``.ci/run`` installs it) is
started with a configuration of its own: free ports, storage in a temporary folder, its
REST API on 127.0.0.1 only and without authentication, no plugins, and Lightbox as a
DICOM modality it may send to. Nothing of the machine's own Orthanc (``/etc/orthanc``,
its service) is used or touched.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["Orthanc", "binary"]


def binary() -> str | None:
    """Where Debian's Orthanc is (``/usr/sbin`` is not on every PATH), or None."""
    return shutil.which("Orthanc") or next(
        (p for p in ("/usr/sbin/Orthanc", "/usr/bin/Orthanc") if Path(p).is_file()), None
    )


class Orthanc:
    """``with Orthanc(folder, http_port, dicom_port, modalities) as orthanc:`` — running
    until the block ends. ``modalities`` maps a name to (AE title, host, port)."""

    def __init__(
        self,
        folder: Path,
        http_port: int,
        dicom_port: int,
        modalities: dict[str, tuple[str, str, int]],
        aet: str = "ORTHANC",
    ) -> None:
        found = binary()
        if found is None:
            raise FileNotFoundError("Orthanc is not installed (apt-get install orthanc)")
        self.binary, self.folder = found, folder
        self.base = f"http://127.0.0.1:{http_port}"
        self.dicom_port, self.aet = dicom_port, aet
        self.config = {
            "Name": "lightbox-test",
            "StorageDirectory": str(folder / "storage"),
            "IndexDirectory": str(folder / "storage"),
            "HttpPort": http_port,
            "HttpBindAddress": "127.0.0.1",
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "DicomServerEnabled": True,
            "DicomAet": aet,
            "DicomPort": dicom_port,
            "DicomCheckCalledAet": False,
            "DicomModalities": {name: list(m) for name, m in modalities.items()},
            "Plugins": [],
            "StorageCompression": False,
            "HttpDescribeErrors": True,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Orthanc:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "orthanc.json"
        config.write_text(json.dumps(self.config))
        self.log = (self.folder / "orthanc.log").open("wb")
        self.process = subprocess.Popen(
            [self.binary, str(config)], stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited at start: see {self.folder / 'orthanc.log'}")
            try:
                self.get("/system")
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("Orthanc did not answer within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:  # noqa: S310 (http on loopback)
            return json.loads(response.read())

    def post(self, path: str, body: bytes | dict[str, Any], timeout: float = 300) -> Any:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"Orthanc {path}: {e.code} {e.read()[:300]!r}") from None

    def upload(self, files: list[bytes]) -> list[dict[str, Any]]:
        """Store ``files`` in Orthanc over REST; returns what it says of each."""
        return [self.post("/instances", data) for data in files]

    def send(self, modality: str, resources: list[str]) -> Any:
        """Orthanc's "send to modality": C-STORE ``resources`` (study, series or
        instance ids) to ``modality``, waiting until it is done."""
        return self.post(
            f"/modalities/{modality}/store", {"Resources": resources, "Synchronous": True}
        )
