"""Writing cases into a bundle: a BagIt zip of JSON and the files byte for byte.

The bag's payload (``data/``)::

    bundle.json                     format, schema version, the cases and topics it holds,
                                    their series, and the people they name
    cases/<number>/case.json        every field of the case, then its tables (authors,
                                    radiopharmaceuticals, studies > series > instances,
                                    images, comments, review notes, acknowledgements,
                                    unsaved drafts), then its revisions and redactions
    cases/<number>/files/<sha256>.<dcm|png|jpg>
                                    the de-identified DICOM, pictures and thumbnails, as
                                    stored
    topics/<slug>.json              every field of a topic page, its revisions and
                                    redactions

and ``manifest-sha256.txt`` holds the SHA-256 of every one of them
(:mod:`lightbox.interchange.bundle.bag`).
"""

from __future__ import annotations

import copy
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from lightbox.audit.log import record as audit
from lightbox.audit.models import Action
from lightbox.cases.models import Case, Topic
from lightbox.cases.models import Series as CaseSeries
from lightbox.history.models import Redaction, Revision
from lightbox.imaging.models import Image
from lightbox.interchange.bundle.bag import BagWriter
from lightbox.interchange.bundle.schema import (
    CASE_EXCLUDE,
    CASE_TABLES,
    FORMAT,
    HISTORY_EXCLUDE,
    SCHEMA_VERSION,
    SHARED,
    BundleError,
    Codec,
    Table,
    _concrete,
    dump_json,
)
from lightbox.lib.disk import disk_full_reason

__all__ = ["ExportResult", "export_bundle"]

FILE_EXTENSIONS = {".dcm": "dcm", ".png": "png", ".jpg": "jpg"}


@dataclass
class ExportResult:
    path: Path
    cases: list[str] = field(default_factory=list)
    labels: list[tuple[str, str]] = field(default_factory=list)  # (number, str(case))
    topics: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


def export_bundle(
    cases: Iterable[Case],
    out: Path,
    *,
    all_topics: bool = False,
    progress: Callable[[Case], None] | None = None,
) -> ExportResult:
    """Write ``cases`` (and the topic pages they link to; every topic page with
    ``all_topics``) as a bundle at ``out``.

    The zip is written beside ``out`` under a temporary name and moved into place when it
    is complete, so ``out`` is never half a bundle. ``progress(case)`` is called after
    each case.

    Each case exported gets an audit entry once the bundle is complete.

    Raises
    ------
    BundleError
        ``out`` exists already, or it cannot be written (a full disk); nothing is left
        behind.
    """
    out = Path(out)
    if out.exists():
        raise BundleError(f"{out} exists already: give a new name (nothing was written)")
    folder = out.parent if str(out.parent) else Path(".")
    try:
        fd, partial = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".part")
    except OSError as e:
        raise BundleError(f"cannot write in {folder}: {e.strerror or e}") from None
    result = ExportResult(out)
    try:
        with os.fdopen(fd, "wb") as fp:
            info = {
                "Bag-Software-Agent": f"Lightbox {_version()}",
                "External-Description": f"Lightbox teaching-file bundle, schema {SCHEMA_VERSION}",
            }
            with BagWriter(fp, _bag_name(out), info) as bag:
                _write(bag, cases, all_topics, result, progress)
            fp.flush()
            os.fsync(fp.fileno())
        os.link(partial, out)  # never replaces a file that appeared meanwhile
    except FileExistsError:
        raise BundleError(f"{out} exists already: give a new name (nothing was written)") from None
    except OSError as e:
        reason = disk_full_reason(e) or e.strerror or str(e)
        raise BundleError(f"cannot write {out}: {reason} (nothing was written)") from None
    finally:
        Path(partial).unlink(missing_ok=True)
    result.bytes = out.stat().st_size
    with transaction.atomic():
        for number, label in result.labels:
            audit(
                Action.EXPORT,
                target_type="case",
                target_id=number,
                target_label=label,
                summary=f"exported {number} into the bundle {out.name}",
            )
    return result


def _version() -> str:
    try:
        return metadata.version("lightbox")
    except metadata.PackageNotFoundError:
        return "(version unknown)"


def _bag_name(out: Path) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in out.stem).strip("-")
    return stem or "lightbox-bundle"


def _write(
    bag: BagWriter,
    cases: Iterable[Case],
    all_topics: bool,
    result: ExportResult,
    progress: Callable[[Case], None] | None,
) -> None:
    users: set[str] = set()
    # The shared rows the cases name (their series by their numbers), by model.
    shared: dict[type[models.Model], set[Any]] = {}
    if all_topics:
        shared[Topic] = set(Topic.objects.values_list("pk", flat=True))
    for case in cases:
        with transaction.atomic():  # one consistent reading of the case
            codec = CaseExport(bag, case)
            bag.add(f"{codec.folder}/case.json", dump_json(codec.case_json()))
        users |= codec.usernames
        shared.setdefault(CaseSeries, set()).add(case.series_id)
        for model, pks in codec.shared.items():
            shared.setdefault(model, set()).update(pks)
        result.cases.append(case.number)
        result.labels.append((case.number, str(case)))
        result.files += codec.files
        if progress:
            progress(case)
    for topic in Topic.objects.filter(pk__in=shared.get(Topic, set())).order_by("pk"):
        page = Codec()
        row = {"schema_version": SCHEMA_VERSION, **page.encode(topic, _concrete(Topic))}
        row.update(_history(page, "topic", topic.pk))
        bag.add(f"data/topics/{topic.slug}.json", dump_json(row))
        users |= page.usernames
        result.topics.append(topic.slug)
    rows: dict[str, list[dict[str, Any]]] = {}
    for kind in SHARED:
        found = kind.model._default_manager.filter(pk__in=shared.get(kind.model, set()))
        writer = Codec()
        found = found.order_by(*kind.natural)
        rows[kind.key] = []
        for obj in found:
            row = writer.encode(obj, kind.fields())
            if kind.terms:
                row[kind.terms] = sorted(getattr(obj, kind.terms).values_list("term", flat=True))
            rows[kind.key].append(row)
        users |= writer.usernames
    people = get_user_model()._default_manager.filter(username__in=users).order_by("username")
    bag.add(
        "data/bundle.json",
        dump_json(
            {
                "format": FORMAT,
                "schema_version": SCHEMA_VERSION,
                "exported": timezone.now().isoformat(),
                "cases": result.cases,
                "topics": result.topics,
                **rows,
                "users": [
                    {"username": u.username, "first_name": u.first_name, "last_name": u.last_name}
                    for u in people
                ],
            }
        ),
    )


class CaseExport(Codec):
    """One case as ``case.json``, its files added to the bag as they are met."""

    def __init__(self, bag: BagWriter, case: Case) -> None:
        self.bag, self.case = bag, case
        self.folder = f"data/cases/{case.number}"
        self.files = 0
        self.rows = {t.key: _rows(t, case) for t in CASE_TABLES}
        ids: dict[tuple[type[models.Model], Any], int] = {}
        counts: dict[type[models.Model], int] = {}
        for rows in self.rows.values():
            _number(rows, ids, counts)
        super().__init__(ids, self._store)

    def case_json(self) -> dict[str, Any]:
        fields = [f for f in _concrete(Case) if f.name not in CASE_EXCLUDE]
        out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "number": self.case.number}
        out.update(self.encode(self.case, fields))
        for table in CASE_TABLES:
            out[table.key] = [self._tree(table, row) for row in self.rows[table.key]]
        images = {pk: n for (model, pk), n in self.ids.items() if model is Image}
        out.update(_history(self, "case", self.case.pk, images))
        return out

    def _tree(self, table: Table, row: tuple[models.Model, dict[str, list[Any]]]) -> Any:
        obj, children = row
        encoded = self.encode(obj, table.fields())
        for child in table.children:
            encoded[child.key] = [self._tree(child, r) for r in children[child.key]]
        return encoded

    def _store(self, value: Any) -> str:
        """Put a stored file in the bag (once per content) and return its path there."""
        name = str(value.name)
        ext = FILE_EXTENSIONS.get(os.path.splitext(name)[1].lower())
        if ext is None:
            raise BundleError(f"{self.case.number}: a stored file of unknown kind ({name})")
        try:
            with value.storage.open(name, "rb") as f:
                data = f.read()
        except OSError as e:
            raise BundleError(
                f"{self.case.number}: a stored file cannot be read ({e.strerror or e})"
            ) from None
        path = f"files/{hashlib.sha256(data).hexdigest()}.{ext}"
        if f"{self.folder}/{path}" not in self.bag:
            self.bag.add(f"{self.folder}/{path}", data, compress=ext == "dcm")
            self.files += 1
        return path


Rows = list[tuple[models.Model, dict[str, list[Any]]]]


def _rows(table: Table, owner: models.Model) -> Rows:
    """The rows of ``table`` under ``owner``, in the order they were created, each with
    its children's rows."""
    found = table.model._default_manager.filter(**{table.parent: owner}).order_by("pk")
    return [(obj, {c.key: _rows(c, obj) for c in table.children}) for obj in found]


def _number(
    rows: Rows,
    ids: dict[tuple[type[models.Model], Any], int],
    counts: dict[type[models.Model], int],
) -> None:
    """Give every row its bundle id: 1, 2, 3 … per model, in order."""
    for obj, children in rows:
        model = type(obj)
        counts[model] = ids[(model, obj.pk)] = counts.get(model, 0) + 1
        for child in children.values():
            _number(child, ids, counts)


def _history(
    codec: Codec, target_type: str, target_id: int, images: dict[Any, int] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The revisions and redactions of a case or topic, oldest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, model in (("revisions", Revision), ("redactions", Redaction)):
        fields = [f for f in _concrete(model) if f.name not in HISTORY_EXCLUDE]
        rows = model._default_manager.filter(target_type=target_type, target_id=target_id)
        out[key] = []
        order = ("number",) if model is Revision else ("created", "pk")
        for obj in rows.order_by(*order):
            row = codec.encode(obj, fields)
            if isinstance(obj, Revision) and target_type == "case":
                row["snapshot"] = _snapshot_out(codec, obj.snapshot, images or {})
            out[key].append(row)
    return out


def _snapshot_out(codec: Codec, snapshot: Any, images: dict[Any, int]) -> Any:
    """A case snapshot with its database ids made bundle ones: each image's id becomes
    the image's bundle id (``null`` for an image deleted since), each author's account
    its username (``null`` for an account deleted since)."""
    snap = copy.deepcopy(snapshot)
    if not isinstance(snap, dict):
        return snap
    for image in snap.get("images") or []:
        if isinstance(image, dict) and "id" in image:
            image["id"] = images.get(image["id"])
    users = get_user_model()._default_manager
    for author in snap.get("authors") or []:
        if isinstance(author, dict) and author.get("user") is not None:
            exists = users.filter(pk=author["user"]).exists()
            author["user"] = codec.username(author["user"]) if exists else None
            if author["user"]:
                codec.usernames.add(author["user"])
    return snap
