"""What a bundle holds of a case, and how a row becomes JSON and back.

``case.json`` is the case's own fields, then one list per related table: the rows of that
table that belong to the case, each with every field of its model. The tables are listed
once, in :data:`CASE_TABLES`; rows that many cases share (a series, a vocabulary's code)
once, in :data:`SHARED`. Everything else follows from the models' fields, so that a new
table of the case is one entry there. For example, a case's RadLex and SNOMED codes
(``CaseCode``: a ``case``, a ``code`` pointing at a shared ``Code`` row named by its
system and code, an ``order``) are two::

    Table("codes", CaseCode, parent="case"),          # in CASE_TABLES
    Shared("codes", Code, natural=("system", "code"), terms="synonyms"),  # in SHARED

and their rows are exported, checked and imported with every field, as the others are:
each case's in its ``case.json`` (``"code": ["RADLEX", "RID5350"]``), the codes they name
once in ``bundle.json``, created on import where this install lacks them.

How a field is written (:class:`Codec`), by its kind:

- text, numbers, booleans and JSON as they are; a decimal as a string ("21.600"), a date
  and a date with time in ISO 8601 (with its UTC offset);
- a foreign key to a person: the username (the people are listed in ``bundle.json`` and
  created on import when missing, never with a usable password);
- a foreign key to a row shared by many cases (a topic page, a :data:`SHARED` row): its
  natural key, the topic's slug or the series' prefix (a list when the key is several
  fields);
- a foreign key to another row of the same case (an image's DICOM series, a reply's
  parent comment): that row's ``id``, a number that every row carries and that means
  something inside the bundle only (database ids are an install's own);
- a file: its path in the bundle, ``files/<sha256>.<ext>``, beside ``case.json``.

Reading checks the type of every value, then the model's own validation (choices,
lengths, validators), and says what is wrong in one line that names the file, the row and
the field.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models

from lightbox.cases.models import (
    Case,
    CaseAuthor,
    CaseCode,
    Code,
    EditDraft,
    IdentifierAcknowledgement,
    Radiopharmaceutical,
    ReviewNote,
    Topic,
)
from lightbox.cases.models import Series as CaseSeries
from lightbox.comments.models import Comment
from lightbox.history.models import Redaction, Revision
from lightbox.imaging.models import Image, Instance, Study
from lightbox.imaging.models import Series as ImagingSeries

__all__ = [
    "BundleError",
    "CASE_TABLES",
    "Codec",
    "NATURAL_KEYS",
    "SCHEMA_VERSION",
    "SHARED",
    "Shared",
    "Table",
    "load_json",
]

#: The version of the bundle format this Lightbox writes. Raise it when a bundle of the
#: new format would be misread by an older Lightbox (a new optional table is not such a
#: change: an older Lightbox refuses its key by name).
SCHEMA_VERSION = 1
FORMAT = "lightbox-bundle"


class BundleError(ValueError):
    """The bundle cannot be imported (or a case exported); the message is one line."""


@dataclass(frozen=True)
class Table:
    """The rows of ``model`` that belong to their owner through the foreign key
    ``parent``, written in ``case.json`` (or in the owner's row) under ``key``.

    ``exclude`` names fields that are not written: derived or local state, said why
    where a table uses it. ``checksum`` names a field holding the SHA-256 of a file
    field's bytes, as ``(hash field, file field)``: reading checks that they agree.
    """

    key: str
    model: type[models.Model]
    parent: str
    children: tuple[Table, ...] = ()
    exclude: tuple[str, ...] = ()
    checksum: tuple[str, str] | None = None

    def fields(self) -> list[models.Field[Any, Any]]:
        """The fields written: every concrete field but the primary key, the parent and
        ``exclude``."""
        skip = {self.parent, *self.exclude}
        return [f for f in _concrete(self.model) if f.name not in skip]

    def walk(self) -> Iterable[Table]:
        """This table and its children's, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


#: Every table of a case, in the order rows are created on import: a table whose rows
#: point at another's comes after it (images after the DICOM series they show).
CASE_TABLES: tuple[Table, ...] = (
    Table("authors", CaseAuthor, parent="case"),
    Table("radiopharmaceuticals", Radiopharmaceutical, parent="case"),
    Table("codes", CaseCode, parent="case"),
    Table(
        "studies",
        Study,
        parent="case",
        children=(
            Table(
                "series",
                ImagingSeries,
                parent="study",
                children=(
                    Table("instances", Instance, parent="series", checksum=("sha256", "file")),
                ),
            ),
        ),
    ),
    Table("images", Image, parent="case", checksum=("sha256", "file")),
    Table("comments", Comment, parent="case"),
    Table("review_notes", ReviewNote, parent="case"),
    Table("acknowledgements", IdentifierAcknowledgement, parent="case"),
    Table("edit_drafts", EditDraft, parent="case"),
)

#: Fields of the case itself that are not written as they are: the number stands for its
#: series and sequence (``bs068``), and is written first.
CASE_EXCLUDE = ("series", "sequence", "number")
#: The history of a case or topic: rows named by target type and id, not a foreign key.
HISTORY_EXCLUDE = ("target_type", "target_id")
HISTORY_MODELS = {"revisions": Revision, "redactions": Redaction}


@dataclass(frozen=True)
class Shared:
    """Rows many cases point at, named by ``natural`` (fields unique together) wherever a
    row points at one, and written once, whole, in ``bundle.json`` under ``key``. On
    import a row this install has (by its natural key) is used as it is; one it lacks is
    created."""

    key: str
    model: type[models.Model]
    natural: tuple[str, ...]
    #: A related manager whose rows are only a term each (a code's synonyms), written in
    #: the row as a sorted list of strings under this name and created with a new row.
    terms: str = ""

    def fields(self) -> list[models.Field[Any, Any]]:
        return _concrete(self.model)


#: Every kind of shared row a bundle carries in ``bundle.json``.
SHARED: tuple[Shared, ...] = (
    Shared("series", CaseSeries, natural=("prefix",)),
    Shared("codes", Code, natural=("system", "code"), terms="synonyms"),
)

#: Topic pages are shared rows too, but each is a file of its own, with its history
#: (``topics/<slug>.json``).
NATURAL_KEYS: dict[type[models.Model], tuple[str, ...]] = {
    Topic: ("slug",),
    **{s.model: s.natural for s in SHARED},
}
NaturalKey = tuple[Any, ...]


def natural_json(key: NaturalKey) -> Any:
    """A natural key as a bundle writes it: one value, or a list of several."""
    return key[0] if len(key) == 1 else list(key)


# A file beside case.json: named by the SHA-256 of its bytes.
FILE_PATH_RE = re.compile(r"files/(?P<sha256>[0-9a-f]{64})\.(?P<ext>dcm|png|jpg)")
PICTURE_EXTENSIONS = ("png", "jpg")
MAX_JSON_DEPTH = 64


def _concrete(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _is_user(model: Any) -> bool:
    return model is get_user_model()


# -- JSON -------------------------------------------------------------------------------------


def load_json(data: bytes, where: str) -> Any:
    """Parse ``data`` as a JSON document; :class:`BundleError` naming ``where`` if it is not
    one (or uses NaN or Infinity, or nests deeper than :data:`MAX_JSON_DEPTH`)."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    def finite(text: str) -> float:
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(f"{text[:20]} is too large a number")
        return number

    try:
        text = data.decode("utf-8")
        value = json.loads(text, parse_constant=refuse, parse_float=finite)
    except UnicodeDecodeError as e:
        raise BundleError(f"{where}: not UTF-8 (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise BundleError(f"{where}: not valid JSON ({e.msg}, line {e.lineno})") from None
    except RecursionError:
        raise BundleError(f"{where}: nested too deeply") from None
    except ValueError as e:  # NaN, or an integer of thousands of digits
        raise BundleError(f"{where}: not valid JSON ({e})") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise BundleError(f"{where}: nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def dump_json(value: Any) -> bytes:
    """Pretty, stable JSON (keys in the order given): a bundle is also read by people."""
    return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode()


# -- fields -----------------------------------------------------------------------------------


@dataclass
class Decoded:
    """A row read back: its model instance (unsaved, plain fields set) and what points
    elsewhere, to be resolved when it is saved."""

    obj: models.Model
    id: int = 0
    users: dict[str, str | None] = field(default_factory=dict)
    naturals: dict[str, NaturalKey | None] = field(default_factory=dict)
    refs: dict[str, int | None] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    # auto_now and auto_now_add fields: Django sets them on save; written back after it.
    times: dict[str, dt.datetime] = field(default_factory=dict)
    children: dict[str, list[Decoded]] = field(default_factory=dict)
    # A shared row's terms (:attr:`Shared.terms`), created with it.
    terms: list[str] = field(default_factory=list)


class Codec:
    """Rows to JSON and back, field by field, by the kind of each field.

    Parameters
    ----------
    ids
        Export: the bundle id of every row of the case, by ``(model, pk)``.
    file_path
        Export: stores a file field's file in the bundle and returns its path there.
    """

    def __init__(
        self,
        ids: Mapping[tuple[type[models.Model], Any], int] | None = None,
        file_path: Callable[[Any], str] | None = None,
    ) -> None:
        self.ids = ids or {}
        self.file_path = file_path
        self.usernames: set[str] = set()
        #: The pks of the shared rows met, by model: written once, in bundle.json.
        self.shared: dict[type[models.Model], set[Any]] = {}
        self._names: dict[tuple[Any, Any], NaturalKey] = {}

    # -- writing ------------------------------------------------------------------------------

    def encode(
        self, obj: models.Model, fields: Iterable[models.Field[Any, Any]]
    ) -> dict[str, Any]:
        row: dict[str, Any] = {}
        key = (type(obj), obj.pk)
        if key in self.ids:
            row["id"] = self.ids[key]
        for f in fields:
            row[f.name] = self._encode_field(obj, f)
        return row

    def _encode_field(self, obj: models.Model, f: models.Field[Any, Any]) -> Any:
        if f.is_relation:
            target_id = getattr(obj, f.attname)
            if target_id is None:
                return None
            target = f.related_model
            if _is_user(target):
                username = self.username(target_id)
                self.usernames.add(username)
                return username
            if target in NATURAL_KEYS:
                self.shared.setdefault(target, set()).add(target_id)  # type: ignore[arg-type]
                return natural_json(self.natural(target, target_id))
            if (target, target_id) in self.ids:
                return self.ids[(target, target_id)]  # type: ignore[index]
            raise BundleError(
                f"{type(obj).__name__}.{f.name} points at a {target} row outside the case"
            )
        value = getattr(obj, f.attname)
        if isinstance(f, models.FileField):
            if not value:
                return None
            assert self.file_path is not None
            return self.file_path(value)
        if value is None:
            return None
        if isinstance(f, models.DateTimeField | models.DateField):
            return value.isoformat()
        if isinstance(f, models.DecimalField):
            return str(value)
        if isinstance(f, models.UUIDField):
            return str(value)
        return value

    def username(self, pk: Any) -> str:
        """The username of the person ``pk`` (looked up once)."""
        return str(self.natural(get_user_model(), pk, ("username",))[0])

    def natural(self, model: Any, pk: Any, fields: tuple[str, ...] = ()) -> NaturalKey:
        """The natural key of the row ``pk`` of ``model`` (looked up once)."""
        if (model, pk) not in self._names:
            names = fields or NATURAL_KEYS[model]
            self._names[(model, pk)] = tuple(model._default_manager.values_list(*names).get(pk=pk))
        return self._names[(model, pk)]

    # -- reading ------------------------------------------------------------------------------

    def decode(
        self,
        model: type[models.Model],
        fields: list[models.Field[Any, Any]],
        row: Any,
        where: str,
        *,
        extra_keys: Iterable[str] = (),
        with_id: bool = True,
    ) -> Decoded:
        """Read one row; unknown keys and values of the wrong type are errors. A field
        missing from the row takes its default (a bundle from before the field existed)."""
        if not isinstance(row, dict):
            raise BundleError(f"{where}: expected an object, not {_kind(row)}")
        known = {f.name for f in fields} | set(extra_keys) | ({"id"} if with_id else set())
        if unknown := [k for k in row if k not in known]:
            raise BundleError(f"{where}: unknown key {unknown[0]!r} (made by a newer Lightbox?)")
        obj = model()
        decoded = Decoded(obj)
        if with_id:
            decoded.id = _positive_int(row.get("id"), f"{where}.id")
        for f in fields:
            if f.name not in row:
                continue
            self._decode_field(decoded, f, row[f.name], f"{where}.{f.name}")
        return decoded

    def _decode_field(
        self, decoded: Decoded, f: models.Field[Any, Any], value: Any, where: str
    ) -> None:
        obj = decoded.obj
        if value is None:
            if not f.null and not isinstance(f, models.FileField):
                raise BundleError(f"{where}: may not be null")
            if f.is_relation:
                target = f.related_model
                if _is_user(target):
                    decoded.users[f.name] = None
                elif target in NATURAL_KEYS:
                    decoded.naturals[f.name] = None
                else:
                    decoded.refs[f.name] = None
            elif not isinstance(f, models.FileField):
                setattr(obj, f.attname, None)
            return
        if f.is_relation:
            target = f.related_model
            if _is_user(target):
                decoded.users[f.name] = _username(value, where)
            elif target in NATURAL_KEYS:
                decoded.naturals[f.name] = natural_key(target, value, where)
            else:
                decoded.refs[f.name] = _positive_int(value, where)
            return
        if isinstance(f, models.FileField):
            path = _text(value, where, 200)
            if not path:
                return
            match = FILE_PATH_RE.fullmatch(path)
            ext = match["ext"] if match else ""
            wanted = PICTURE_EXTENSIONS if isinstance(f, models.ImageField) else ("dcm",)
            if ext not in wanted:
                shown = " or ".join(f"files/<sha256>.{e}" for e in wanted)
                raise BundleError(f"{where}: {path[:80]!r} is not a file path ({shown})")
            decoded.files[f.name] = path
            return
        parsed = _parse(f, value, where)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            decoded.times[f.name] = parsed
        setattr(obj, f.attname, parsed)


def _parse(f: models.Field[Any, Any], value: Any, where: str) -> Any:
    if isinstance(f, models.JSONField):
        return value
    if isinstance(f, models.BooleanField):
        if not isinstance(value, bool):
            raise BundleError(f"{where}: expected true or false, not {_kind(value)}")
        return value
    if isinstance(f, models.IntegerField):
        if not isinstance(value, int) or isinstance(value, bool):
            raise BundleError(f"{where}: expected a whole number, not {_kind(value)}")
        if abs(value) >= 2**63:
            raise BundleError(f"{where}: the number is too large")
        return value
    if isinstance(f, models.FloatField):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise BundleError(f"{where}: expected a number, not {_kind(value)}")
        if not math.isfinite(value):
            raise BundleError(f"{where}: expected a finite number")
        return float(value)
    if isinstance(f, models.DecimalField):
        text = _text(value, where, 40)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise BundleError(f"{where}: {text!r} is not a decimal number") from None
        if not number.is_finite():
            raise BundleError(f"{where}: expected a finite number")
        return number
    if isinstance(f, models.DateTimeField):
        text = _text(value, where, 40)
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise BundleError(f"{where}: {text!r} is not a date and time (ISO 8601)") from None
        if moment.tzinfo is None:
            raise BundleError(f"{where}: {text!r} has no UTC offset")
        return moment
    if isinstance(f, models.DateField):
        text = _text(value, where, 40)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise BundleError(f"{where}: {text!r} is not a date (YYYY-MM-DD)") from None
    if isinstance(f, models.UUIDField):
        try:
            return uuid.UUID(_text(value, where, 40))
        except ValueError:
            raise BundleError(f"{where}: not a UUID") from None
    if isinstance(f, models.CharField | models.TextField):
        return _text(value, where, None)
    raise TypeError(f"a bundle cannot hold {type(f).__name__} {f.model.__name__}.{f.name}")


def natural_key(model: Any, value: Any, where: str) -> NaturalKey:
    """A natural key as written (one value, or a list of several), checked."""
    names = NATURAL_KEYS[model]
    values = value if isinstance(value, list) and len(names) > 1 else [value]
    if len(values) != len(names):
        raise BundleError(f"{where}: expected {' and '.join(names)}")
    key: list[Any] = []
    for name, item in zip(names, values, strict=True):
        if isinstance(item, int) and not isinstance(item, bool):
            key.append(item)
        else:
            key.append(_text(item, f"{where} ({name})", 200))
    return tuple(key)


def _text(value: Any, where: str, limit: int | None) -> str:
    if not isinstance(value, str):
        raise BundleError(f"{where}: expected text, not {_kind(value)}")
    if "\x00" in value:
        raise BundleError(f"{where}: text with a NUL character")
    if limit is not None and len(value) > limit:
        raise BundleError(f"{where}: longer than {limit} characters")
    return value


def _username(value: Any, where: str) -> str:
    name = _text(value, where, 150)
    try:
        UnicodeUsernameValidator()(name)
    except ValidationError:
        raise BundleError(f"{where}: {name[:40]!r} is not a username") from None
    if not name:
        raise BundleError(f"{where}: an empty username")
    return name


def _positive_int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise BundleError(f"{where}: expected a positive whole number, not {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return {
        type(None): "null",
        bool: "true or false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def clean(decoded: Decoded, where: str, exclude: Iterable[str] = ()) -> None:
    """The model's own validation of a decoded row (choices, lengths, validators), its
    relations and files aside (they are resolved when it is saved)."""
    obj = decoded.obj
    # Relations and files are checked against the bundle instead; a field at its model's
    # default is as Lightbox itself makes it (an empty list a field may not be left
    # blank in a form, such as a redaction's revisions when it purged drafts only).
    skip = {
        f.name
        for f in obj._meta.concrete_fields
        if f.is_relation
        or isinstance(f, models.FileField)
        or (f.has_default() and getattr(obj, f.attname) == f.get_default())
    }
    try:
        obj.full_clean(
            exclude=[*skip, *exclude], validate_unique=False, validate_constraints=False
        )
    except ValidationError as e:
        errors = e.message_dict if hasattr(e, "error_dict") else {"": e.messages}
        name, messages = next(iter(errors.items()))
        at = f"{where}.{name}" if name and name != "__all__" else where
        raise BundleError(f"{at}: {' '.join(messages)}") from None


def check_schema_version(value: Any, where: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BundleError(f"{where}: schema_version must be a whole number")
    if value > SCHEMA_VERSION:
        raise BundleError(
            f"{where}: schema version {value} is newer than this Lightbox reads "
            f"({SCHEMA_VERSION}): upgrade Lightbox first"
        )
    if value < 1:
        raise BundleError(f"{where}: schema version {value} does not exist")


def _check_tables() -> None:
    """Every field of every table is one the codec can write (checked on import of this
    module, so that a new table with a field of an unknown kind fails at once)."""
    case_keys = {f.name for f in _concrete(Case)} | {"schema_version", "number"}
    case_keys |= set(HISTORY_MODELS)
    for table in CASE_TABLES:
        if table.key in case_keys:
            raise TypeError(f"table key {table.key!r} clashes with another key of case.json")
        case_keys.add(table.key)
        for t in table.walk():
            for f in t.fields():
                if isinstance(f, models.BinaryField):
                    raise TypeError(f"a bundle cannot hold {t.model.__name__}.{f.name}")
    bundle_keys = {"format", "schema_version", "exported", "cases", "topics", "users"}
    for kind in SHARED:
        if kind.key in bundle_keys:
            raise TypeError(f"shared key {kind.key!r} clashes with another key of bundle.json")
        bundle_keys.add(kind.key)
        for f in kind.fields():
            if (
                f.is_relation
                and f.related_model not in NATURAL_KEYS
                and not _is_user(f.related_model)
            ):
                raise TypeError(f"shared {kind.model.__name__}.{f.name} points at a case's row")


_check_tables()
