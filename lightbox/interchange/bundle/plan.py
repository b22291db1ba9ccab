"""Reading a bundle and checking all of it before anything is stored.

:func:`read_bundle` reads every member of the zip once, under limits: it checks the bag
(every file in the manifest, every hash), every DICOM file and picture
(:mod:`lightbox.interchange.bundle.files`), and every JSON document, row by row and field
by field, then the references between them (every id, username, topic, series and file a
row names is there; every file is named by a row). What comes out is a :class:`Plan` of
unsaved rows that :mod:`lightbox.interchange.bundle.save` can store without another
check. The first thing wrong raises :class:`~lightbox.interchange.bundle.schema.BundleError`
with a one-line message naming the file (and the row and field) at fault; by then nothing
has been written.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, UniqueConstraint, Value

from lightbox.cases.codes import MAX_TERM
from lightbox.cases.models import Case, Topic, split_number
from lightbox.cases.models import Series as CaseSeries
from lightbox.history.models import Redaction, Revision
from lightbox.imaging.models import Image, Instance, PixelReview
from lightbox.imaging.models import Series as ImagingSeries
from lightbox.interchange.bundle.bag import BagError, BagReader, PayloadFile
from lightbox.interchange.bundle.files import FileRefused, check_dicom, check_picture
from lightbox.interchange.bundle.schema import (
    CASE_EXCLUDE,
    CASE_TABLES,
    FILE_PATH_RE,
    FORMAT,
    HISTORY_EXCLUDE,
    NATURAL_KEYS,
    SHARED,
    BundleError,
    Codec,
    Decoded,
    Shared,
    Table,
    _concrete,
    _kind,
    _text,
    _username,
    check_schema_version,
    clean,
    load_json,
)
from lightbox.lib.archive import ArchiveTooLarge, Limits

__all__ = ["CasePlan", "Plan", "TopicPlan", "read_bundle"]

#: At most this many files in one bundle (a library of 1,000 CT cases of 300 slices).
MAX_FILES = 500_000
#: One DICOM file or picture: what an upload may hold.
MAX_FILE_BYTES = 4 * 1024**3
#: One JSON document (a case with a long history is a few megabytes).
MAX_JSON_BYTES = 256 * 1024**2
#: All JSON documents together: they are held in memory while the bundle is checked.
MAX_JSON_TOTAL = 2 * 1024**3
#: Members compressed better than deflate can compress anything (a bzip2 or LZMA bomb).
MAX_RATIO = 1100

BUNDLE_JSON = "data/bundle.json"
_NUMBER = r"[a-z]{2,4}\d{1,6}"
CASE_JSON_RE = re.compile(rf"data/cases/(?P<number>{_NUMBER})/case\.json")
CASE_FILE_RE = re.compile(rf"data/cases/(?P<number>{_NUMBER})/(?P<path>{FILE_PATH_RE.pattern})")
TOPIC_JSON_RE = re.compile(r"data/topics/(?P<slug>[A-Za-z0-9_-]{1,120})\.json")
BUNDLE_KEYS = (
    "format",
    "schema_version",
    "exported",
    "cases",
    "topics",
    "users",
    *(kind.key for kind in SHARED),
)
USER_KEYS = ("username", "first_name", "last_name")


@dataclass
class CasePlan:
    number: str
    case: Decoded
    tables: dict[str, list[Decoded]]
    revisions: list[Decoded]
    redactions: list[Decoded]


@dataclass
class TopicPlan:
    slug: str
    topic: Decoded
    revisions: list[Decoded]
    redactions: list[Decoded]


@dataclass
class Plan:
    """A checked bundle: everything in it as unsaved rows, and the zip to read files from."""

    reader: BagReader
    #: The shared rows (:data:`~lightbox.interchange.bundle.schema.SHARED`) by model and
    #: natural key.
    shared: dict[type[models.Model], dict[tuple[Any, ...], Decoded]] = field(default_factory=dict)
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    topics: dict[str, TopicPlan] = field(default_factory=dict)
    cases: list[CasePlan] = field(default_factory=list)
    payload: dict[str, PayloadFile] = field(default_factory=dict)

    def file(self, number: str, path: str) -> bytes:
        """A case's file (``files/<sha256>.<ext>``), read again and hashed again."""
        try:
            return self.reader.read(f"data/cases/{number}/{path}")
        except BagError as e:
            raise BundleError(str(e)) from None


def free_bytes() -> int:
    """Free space where files will be stored (the nearest existing folder of MEDIA_ROOT).

    A bucket has no such figure: there the bundle is limited by its per-file and
    compression-ratio limits only.
    """
    if settings.STORAGE == "s3":
        return 1 << 62
    folder = Path(settings.MEDIA_ROOT)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def read_bundle(source: str | Path, *, progress: Callable[[int], None] | None = None) -> Plan:
    """Read and check the bundle at ``source``; ``progress(n)`` after each ``n`` bytes.

    Raises
    ------
    BundleError
        The first thing wrong, in one line. Nothing has been stored.
    """
    limits = Limits(
        max_entries=MAX_FILES,
        max_member_bytes=MAX_FILE_BYTES,
        max_total_bytes=free_bytes(),
        max_ratio=MAX_RATIO,
    )
    if not Path(source).exists():
        raise BundleError("no such file")
    if not Path(source).is_file():
        raise BundleError("not a file (a bundle is one .zip file)")
    reader = BagReader(str(source), limits)
    documents: dict[str, bytes] = {}
    dicom: dict[str, tuple[str, ...]] = {}

    def check(path: str, data: bytes) -> None:
        if path == BUNDLE_JSON or CASE_JSON_RE.fullmatch(path) or TOPIC_JSON_RE.fullmatch(path):
            if len(data) > MAX_JSON_BYTES:
                raise BundleError(f"{path}: over {MAX_JSON_BYTES:,} bytes")
            documents[path] = data
            if sum(map(len, documents.values())) > MAX_JSON_TOTAL:
                raise BundleError(
                    f"the JSON documents add up to over {MAX_JSON_TOTAL:,} bytes: export "
                    "the library in several bundles"
                )
            return
        match = CASE_FILE_RE.fullmatch(path)
        if not match:
            raise BundleError(f"{path}: not a file a bundle holds")
        try:
            if match["ext"] == "dcm":
                dicom[path] = check_dicom(data).pixel_review_reasons
            else:
                check_picture(data, match["ext"])
        except FileRefused as e:
            raise BundleError(f"{path}: {e}") from None

    try:
        payload = reader.verify(check, progress)
    except ArchiveTooLarge as e:
        raise BundleError(f"too large for the free space or the limits: {e}") from None
    except BagError as e:
        raise BundleError(str(e)) from None
    plan = Plan(reader, payload=payload)
    _Reader(plan, documents, dicom).read()
    return plan


class _Reader:
    def __init__(
        self, plan: Plan, documents: dict[str, bytes], dicom: dict[str, tuple[str, ...]]
    ) -> None:
        self.plan, self.documents, self.dicom = plan, documents, dicom
        self.codec = Codec()

    def read(self) -> None:
        if BUNDLE_JSON not in self.documents:
            raise BundleError(f"no {BUNDLE_JSON}: not a Lightbox bundle")
        head = load_json(self.documents[BUNDLE_JSON], BUNDLE_JSON)
        if not isinstance(head, dict):
            raise BundleError(f"{BUNDLE_JSON}: expected an object, not {_kind(head)}")
        if head.get("format") != FORMAT:
            raise BundleError(f"{BUNDLE_JSON}: format is not {FORMAT!r}")
        check_schema_version(head.get("schema_version"), BUNDLE_JSON)
        if unknown := [k for k in head if k not in BUNDLE_KEYS]:
            raise BundleError(
                f"{BUNDLE_JSON}: unknown key {unknown[0]!r} (made by a newer Lightbox?)"
            )
        self._users(head.get("users", []))
        for kind in SHARED:
            self._shared(kind, head.get(kind.key, []))
        numbers = self._names(head.get("cases", []), "cases")
        slugs = self._names(head.get("topics", []), "topics")
        listed = {f"data/cases/{n}/case.json" for n in numbers}
        listed |= {f"data/topics/{s}.json" for s in slugs} | {BUNDLE_JSON}
        if extra := sorted(set(self.documents) - listed):
            raise BundleError(f"{extra[0]} is not listed in {BUNDLE_JSON}")
        if missing := sorted(listed - set(self.documents)):
            raise BundleError(f"{missing[0]} is listed in {BUNDLE_JSON} but not in the bundle")
        for slug in slugs:
            self.plan.topics[slug] = self._topic(slug)
        for number in numbers:
            self.plan.cases.append(self._case(number))
        referenced = {f"data/cases/{c.number}/{p}" for c in self.plan.cases for p in _files(c)}
        if stray := sorted(
            p for p in self.plan.payload if CASE_FILE_RE.fullmatch(p) and p not in referenced
        ):
            raise BundleError(f"{stray[0]}: no row of its case.json names this file")

    # -- bundle.json --------------------------------------------------------------------------

    def _names(self, value: Any, key: str) -> list[str]:
        where = f"{BUNDLE_JSON}: {key}"
        if not isinstance(value, list):
            raise BundleError(f"{where}: expected a list, not {_kind(value)}")
        names = [_text(v, f"{where}[{i}]", 120) for i, v in enumerate(value)]
        if len(set(names)) != len(names):
            raise BundleError(f"{where}: a name is listed twice")
        pattern = re.compile(_NUMBER) if key == "cases" else TOPIC_JSON_RE
        for name in names:
            probe = name if key == "cases" else f"data/topics/{name}.json"
            if not pattern.fullmatch(probe):
                raise BundleError(
                    f"{where}: {name[:40]!r} is not a case number"
                    if key == "cases"
                    else f"{where}: {name[:40]!r} is not a topic slug"
                )
        return names

    def _users(self, value: Any) -> None:
        where = f"{BUNDLE_JSON}: users"
        if not isinstance(value, list):
            raise BundleError(f"{where}: expected a list, not {_kind(value)}")
        for i, row in enumerate(value):
            at = f"{where}[{i}]"
            if not isinstance(row, dict):
                raise BundleError(f"{at}: expected an object, not {_kind(row)}")
            if unknown := [k for k in row if k not in USER_KEYS]:
                raise BundleError(f"{at}: unknown key {unknown[0]!r}")
            name = _username(row.get("username"), f"{at}.username")
            if name in self.plan.users:
                raise BundleError(f"{at}: {name!r} is listed twice")
            self.plan.users[name] = {
                "first_name": _text(row.get("first_name", ""), f"{at}.first_name", 150),
                "last_name": _text(row.get("last_name", ""), f"{at}.last_name", 150),
            }

    def _shared(self, kind: Shared, value: Any) -> None:
        where = f"{BUNDLE_JSON}: {kind.key}"
        if not isinstance(value, list):
            raise BundleError(f"{where}: expected a list, not {_kind(value)}")
        rows = self.plan.shared.setdefault(kind.model, {})
        for i, row in enumerate(value):
            at = f"{where}[{i}]"
            extra = (kind.terms,) if kind.terms else ()
            decoded = self.codec.decode(
                kind.model, kind.fields(), row, at, extra_keys=extra, with_id=False
            )
            clean(decoded, at)
            if kind.terms:
                decoded.terms = _terms(row.get(kind.terms, []), f"{at}.{kind.terms}")
            key = tuple(_value_of(decoded, name) for name in kind.natural)
            if key in rows:
                raise BundleError(f"{at}: {', '.join(map(str, key))} is listed twice")
            rows[key] = decoded
        for decoded in rows.values():
            self._references_of(decoded, where)

    # -- topics -------------------------------------------------------------------------------

    def _topic(self, slug: str) -> TopicPlan:
        where = f"data/topics/{slug}.json"
        data = self._document(where)
        topic = self.codec.decode(
            Topic,
            _concrete(Topic),
            data,
            where,
            extra_keys=("schema_version", "revisions", "redactions"),
            with_id=False,
        )
        clean(topic, where, exclude=["slug"])
        if topic.obj.slug != slug:  # type: ignore[attr-defined]
            raise BundleError(f"{where}: its slug is not {slug!r}")
        revisions, redactions = self._history(data, where, None)
        return TopicPlan(slug, topic, revisions, redactions)

    def _document(self, where: str) -> dict[str, Any]:
        data = load_json(self.documents[where], where)
        if not isinstance(data, dict):
            raise BundleError(f"{where}: expected an object, not {_kind(data)}")
        check_schema_version(data.get("schema_version"), where)
        return data

    # -- cases --------------------------------------------------------------------------------

    def _case(self, number: str) -> CasePlan:
        where = f"data/cases/{number}/case.json"
        data = self._document(where)
        if data.get("number") != number:
            raise BundleError(f"{where}: its number is not {number!r}")
        prefix, _ = split_number(number)
        if not self._known(CaseSeries, (prefix,)):
            raise BundleError(f"{where}: series {prefix!r} is neither in the bundle nor here")
        fields = [f for f in _concrete(Case) if f.name not in CASE_EXCLUDE]
        keys = (
            "schema_version",
            "number",
            "revisions",
            "redactions",
            *(t.key for t in CASE_TABLES),
        )
        case = self.codec.decode(Case, fields, data, where, extra_keys=keys, with_id=False)
        clean(case, where, exclude=["sequence", "number"])
        tables: dict[str, list[Decoded]] = {}
        for table in CASE_TABLES:
            tables[table.key] = self._rows(table, data.get(table.key, []), f"{where}: {table.key}")
        plan = CasePlan(number, case, tables, [], [])
        ids = self._ids(plan, where)
        self._references(plan, ids, where)
        self._check_unique(plan, where)
        self._check_files(plan, where)
        self._check_pixel_review(plan, where)
        images = ids.get(Image, set())
        plan.revisions, plan.redactions = self._history(data, where, images)
        return plan

    def _rows(self, table: Table, value: Any, where: str) -> list[Decoded]:
        if not isinstance(value, list):
            raise BundleError(f"{where}: expected a list, not {_kind(value)}")
        rows = []
        for i, row in enumerate(value):
            at = f"{where}[{i}]"
            keys = [child.key for child in table.children]
            decoded = self.codec.decode(table.model, table.fields(), row, at, extra_keys=keys)
            clean(decoded, at)
            for child in table.children:
                decoded.children[child.key] = self._rows(
                    child, row.get(child.key, []), f"{at}.{child.key}"
                )
            rows.append(decoded)
        return rows

    def _ids(self, plan: CasePlan, where: str) -> dict[type[models.Model], set[int]]:
        ids: dict[type[models.Model], set[int]] = {}
        for table, row in _walk(plan.tables):
            seen = ids.setdefault(table.model, set())
            if row.id in seen:
                raise BundleError(f"{where}: two {table.key} with id {row.id}")
            seen.add(row.id)
        return ids

    def _references(
        self, plan: CasePlan, ids: dict[type[models.Model], set[int]], where: str
    ) -> None:
        rows = [(None, plan.case), *_walk(plan.tables)]
        for table, row in rows:
            at = f"{where}: {table.key} id {row.id}" if table else where
            model = type(row.obj)
            for name, ref in row.refs.items():
                target = model._meta.get_field(name).related_model
                if ref is not None and ref not in ids.get(target, set()):  # type: ignore[arg-type]
                    raise BundleError(f"{at}: {name} {ref} is not a row of this case")
            self._references_of(row, at)

    def _references_of(self, row: Decoded, at: str) -> None:
        """The people and shared rows ``row`` names are in the bundle (or here)."""
        model = type(row.obj)
        for name, username in row.users.items():
            if username is not None and username not in self.plan.users:
                raise BundleError(f"{at}: {name} {username!r} is not in {BUNDLE_JSON}'s users")
        for name, key in row.naturals.items():
            target = model._meta.get_field(name).related_model
            if key is not None and not self._known(target, key):
                shown = ", ".join(map(str, key))
                raise BundleError(f"{at}: {name} {shown!r} is neither in the bundle nor here")

    def _known(self, model: Any, key: tuple[Any, ...]) -> bool:
        """Whether the shared row ``key`` of ``model`` is in the bundle or here."""
        if model is Topic:
            return key[0] in self.plan.topics or Topic.objects.filter(slug=key[0]).exists()
        if key in self.plan.shared.get(model, {}):
            return True
        names = NATURAL_KEYS[model]
        return bool(model._default_manager.filter(**dict(zip(names, key, strict=True))).exists())

    def _check_unique(self, plan: CasePlan, where: str) -> None:
        """What the database would refuse as a duplicate among a case's rows (two images
        of one series, two main images, two instances with one UID), refused here, before
        anything is stored."""
        for table, siblings in _siblings(plan.tables):
            for names, condition in _unique_sets(table.model):
                others = [n for n in names if n != table.parent]
                seen: dict[tuple[Any, ...], int] = {}
                for row in siblings:
                    if condition is not None and not _holds(condition, row.obj):
                        continue
                    key = tuple(_value_of(row, name) for name in others)
                    if None in key:
                        continue  # NULLs are never equal
                    if key in seen:
                        raise BundleError(
                            f"{where}: {table.key} id {seen[key]} and id {row.id} have the same "
                            + ", ".join(others)
                        )
                    seen[key] = row.id

    def _check_files(self, plan: CasePlan, where: str) -> None:
        for table, row in _walk(plan.tables):
            at = f"{where}: {table.key} id {row.id}"
            for f in table.fields():
                if isinstance(f, models.FileField) and not f.blank and f.name not in row.files:
                    raise BundleError(f"{at}: {f.name} is missing")
            for name, path in row.files.items():
                full = f"data/cases/{plan.number}/{path}"
                found = self.plan.payload.get(full)
                if found is None:
                    raise BundleError(f"{at}: {name} {path} is not in the bundle")
                if not path.startswith(f"files/{found.sha256}."):
                    raise BundleError(f"{full}: its name is not the SHA-256 of its bytes")
                if (
                    table.checksum
                    and table.checksum[1] == name
                    and getattr(row.obj, table.checksum[0]) != found.sha256
                ):
                    raise BundleError(f"{at}: {table.checksum[0]} is not that of its {name}")
                if isinstance(row.obj, Instance) and row.obj.size != found.size:
                    raise BundleError(f"{at}: size is not that of its file")

    def _check_pixel_review(self, plan: CasePlan, where: str) -> None:
        """No file that may show burned-in text arrives marked as needing no review, and
        no image of a series shows a state its instances do not give it."""
        states: dict[int, list[str]] = {}
        for table, row in _walk(plan.tables):
            if isinstance(row.obj, Instance):
                reasons = self.dicom.get(f"data/cases/{plan.number}/{row.files.get('file', '')}")
                if reasons and row.obj.pixel_review == PixelReview.NOT_NEEDED:
                    raise BundleError(
                        f"{where}: {table.key} id {row.id}: its DICOM may show burned-in text "
                        f"({reasons[0]}), but it is marked as needing no pixel review"
                    )
        for series in _rows_of(plan.tables, ImagingSeries):
            states[series.id] = [i.obj.pixel_review for i in series.children.get("instances", [])]  # type: ignore[attr-defined]
        for image in plan.tables.get("images", []):
            ref = image.refs.get("series")
            if ref is not None and ref in states:
                expected = PixelReview.of_series(states[ref])
                if image.obj.pixel_review != expected:  # type: ignore[attr-defined]
                    raise BundleError(
                        f"{where}: images id {image.id}: pixel_review is not {expected.value!r}, "
                        "which its series' instances give it"
                    )

    # -- history ------------------------------------------------------------------------------

    def _history(
        self, data: dict[str, Any], where: str, images: set[int] | None
    ) -> tuple[list[Decoded], list[Decoded]]:
        found: dict[str, list[Decoded]] = {}
        for key, model in (("revisions", Revision), ("redactions", Redaction)):
            value = data.get(key, [])
            at = f"{where}: {key}"
            if not isinstance(value, list):
                raise BundleError(f"{at}: expected a list, not {_kind(value)}")
            fields = [f for f in _concrete(model) if f.name not in HISTORY_EXCLUDE]
            rows = []
            for i, row in enumerate(value):
                decoded = self.codec.decode(model, fields, row, f"{at}[{i}]", with_id=False)
                clean(decoded, f"{at}[{i}]", exclude=list(HISTORY_EXCLUDE))
                for name, username in decoded.users.items():
                    if username is not None and username not in self.plan.users:
                        raise BundleError(
                            f"{at}[{i}]: {name} {username!r} is not in {BUNDLE_JSON}'s users"
                        )
                rows.append(decoded)
            found[key] = rows
        numbers = [r.obj.number for r in found["revisions"]]  # type: ignore[attr-defined]
        if len(set(numbers)) != len(numbers):
            raise BundleError(f"{where}: revisions: a revision number appears twice")
        if images is not None:
            for i, row in enumerate(found["revisions"]):
                self._snapshot(row.obj.snapshot, images, f"{where}: revisions[{i}].snapshot")  # type: ignore[attr-defined]
        return found["revisions"], found["redactions"]

    def _snapshot(self, snap: Any, images: set[int], where: str) -> None:
        if not isinstance(snap, dict):
            raise BundleError(f"{where}: expected an object, not {_kind(snap)}")
        for key in ("images", "authors"):
            if key in snap and not isinstance(snap[key], list):
                raise BundleError(f"{where}.{key}: expected a list")
            for i, item in enumerate(snap.get(key) or []):
                if not isinstance(item, dict):
                    raise BundleError(f"{where}.{key}[{i}]: expected an object")
        for i, image in enumerate(snap.get("images") or []):
            ref = image.get("id")
            if ref is not None and (not isinstance(ref, int) or ref not in images):
                raise BundleError(f"{where}.images[{i}].id: {ref!r} is not an image of this case")
        for i, author in enumerate(snap.get("authors") or []):
            user = author.get("user")
            if user is not None and (not isinstance(user, str) or user not in self.plan.users):
                raise BundleError(
                    f"{where}.authors[{i}].user: {str(user)[:40]!r} is not in "
                    f"{BUNDLE_JSON}'s users"
                )


#: At most this many terms (synonyms) to a shared row.
MAX_TERMS = 1000


def _terms(value: Any, where: str) -> list[str]:
    """A shared row's terms: a list of distinct, non-empty strings of a term's length."""
    if not isinstance(value, list):
        raise BundleError(f"{where}: expected a list, not {_kind(value)}")
    if len(value) > MAX_TERMS:
        raise BundleError(f"{where}: more than {MAX_TERMS} terms")
    terms = [_text(term, f"{where}[{i}]", MAX_TERM) for i, term in enumerate(value)]
    if not all(term.strip() for term in terms):
        raise BundleError(f"{where}: a term is empty")
    if len(set(terms)) != len(terms):
        raise BundleError(f"{where}: a term is listed twice")
    return terms


def _walk(tables: dict[str, list[Decoded]]) -> list[tuple[Table, Decoded]]:
    """Every row of a case's tables with its table, parents before children."""
    out: list[tuple[Table, Decoded]] = []

    def visit(table: Table, rows: list[Decoded]) -> None:
        for row in rows:
            out.append((table, row))
            for child in table.children:
                visit(child, row.children.get(child.key, []))

    for table in CASE_TABLES:
        visit(table, tables.get(table.key, []))
    return out


def _siblings(tables: dict[str, list[Decoded]]) -> list[tuple[Table, list[Decoded]]]:
    """The rows of each table grouped by the row they belong to."""
    out: list[tuple[Table, list[Decoded]]] = []

    def visit(table: Table, rows: list[Decoded]) -> None:
        out.append((table, rows))
        for row in rows:
            for child in table.children:
                visit(child, row.children.get(child.key, []))

    for table in CASE_TABLES:
        visit(table, tables.get(table.key, []))
    return out


def _unique_sets(model: type[models.Model]) -> list[tuple[tuple[str, ...], Q | None]]:
    """The field sets ``model`` keeps unique, each with the condition it holds under."""
    sets: list[tuple[tuple[str, ...], Q | None]] = [
        (tuple(c.fields), c.condition)
        for c in model._meta.constraints
        if isinstance(c, UniqueConstraint) and c.fields
    ]
    sets += [((f.name,), None) for f in _concrete(model) if f.unique]
    sets += [(tuple(names), None) for names in model._meta.unique_together]
    return sets


def _holds(condition: Q, obj: models.Model) -> bool:
    """Whether ``obj``'s values meet a constraint's condition (asked of the database, as
    Django's own validation does)."""
    against = {
        f.name: Value(getattr(obj, f.attname), f)
        for f in _concrete(type(obj))
        if not f.is_relation and not isinstance(f, models.FileField)
    }
    return condition.check(against)


def _value_of(row: Decoded, name: str) -> Any:
    if name in row.refs:
        return row.refs[name]
    if name in row.users:
        return row.users[name]
    if name in row.naturals:
        return row.naturals[name]
    f = row.obj._meta.get_field(name)
    return getattr(row.obj, f.attname)  # type: ignore[union-attr]


def _rows_of(tables: dict[str, list[Decoded]], model: type[models.Model]) -> list[Decoded]:
    return [row for table, row in _walk(tables) if table.model is model]


def _files(plan: CasePlan) -> set[str]:
    return {path for _, row in _walk(plan.tables) for path in row.files.values()}
