"""Storing a checked bundle (:class:`~lightbox.interchange.bundle.plan.Plan`).

First the series, topic pages and the people they name that this install lacks, in one
transaction; then each case in a transaction of its own, with its files, its tables, its
history and an audit entry, indexed for search when it commits. A case's files are written
before its rows commit (made durable together) and deleted again if the case rolls back,
so a failure leaves neither half a case nor an orphan file; the cases committed before it
stay, and running the import again with ``skip`` imports the rest.

Every timestamp is the bundle's: Django sets ``auto_now`` fields as a row is saved, so they
are written back afterwards, the case's own last (saving its rows touches it).

What is here already is never overwritten: a series or topic page of the same prefix or
slug is used as it is (the topic's history stays this install's), and a person of the same
username is that person. A person the bundle names who is not here is created with the
bundle's name, the learner role and no usable password (an administrator gives them
access, or they reset nothing: see ``docs/people.md``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import models, transaction

from lightbox.audit.log import record as audit
from lightbox.audit.models import Action
from lightbox.cases.models import Case, Topic, split_number
from lightbox.cases.models import Series as CaseSeries
from lightbox.history.models import Revision
from lightbox.imaging.models import Image
from lightbox.interchange.bundle.plan import CasePlan, Plan, TopicPlan
from lightbox.interchange.bundle.schema import (
    CASE_TABLES,
    NATURAL_KEYS,
    SHARED,
    BundleError,
    Decoded,
    Table,
    _concrete,
)
from lightbox.lib.disk import disk_full_reason
from lightbox.search import index

__all__ = ["EXISTING", "SaveResult", "save_bundle"]

#: What to do with a case whose number this install has already: refuse the bundle
#: (nothing is stored), skip that case, or give it the next free number of its series.
EXISTING = ("refuse", "skip", "renumber")


@dataclass
class SaveResult:
    created: list[str] = field(default_factory=list)  # the numbers given here
    skipped: list[str] = field(default_factory=list)
    renumbered: dict[str, str] = field(default_factory=dict)  # bundle number → number here
    topics_created: list[str] = field(default_factory=list)
    topics_kept: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def save_bundle(
    plan: Plan,
    *,
    existing: str = "refuse",
    source: str = "a bundle",
    progress: Callable[[CasePlan], None] | None = None,
) -> SaveResult:
    """Store ``plan``: see the module docstring.

    Raises
    ------
    BundleError
        With ``existing="refuse"``, when a case's number is taken here (before anything
        is stored); or when storing a case fails (that case and those after it are not
        stored; the message says which were).
    """
    if existing not in EXISTING:
        raise ValueError(f"existing must be one of {EXISTING}")
    taken = set(
        Case.objects.filter(number__in=[c.number for c in plan.cases]).values_list(
            "number", flat=True
        )
    )
    if taken and existing == "refuse":
        shown = ", ".join(sorted(taken)[:3]) + (
            f" and {len(taken) - 3} more" if len(taken) > 3 else ""
        )
        raise BundleError(
            f"{shown} exist{'s' if len(taken) == 1 else ''} here already: nothing was imported "
            "(--skip-existing leaves them out, --renumber gives them new numbers)"
        )
    saver = _Saver(plan, source)
    try:
        with transaction.atomic():
            saver.shared_rows()
    except Exception as e:  # noqa: BLE001 - said in one line, never a traceback
        raise BundleError(f"the series and topic pages could not be stored: {_why(e)}") from None
    for case_plan in plan.cases:
        if case_plan.number in taken and existing == "skip":
            saver.result.skipped.append(case_plan.number)
        else:
            renumber = case_plan.number in taken
            try:
                saver.case(case_plan, renumber=renumber)
            except Exception as e:  # noqa: BLE001 - said in one line, never a traceback
                done = saver.result.created
                kept = (
                    f"{len(done)} case(s) before it were imported"
                    if done
                    else "no case was imported"
                )
                raise BundleError(
                    f"{case_plan.number} could not be stored ({_why(e)}): nothing of it was "
                    f"kept; {kept}"
                ) from None
        if progress:
            progress(case_plan)
    return saver.result


def _why(error: BaseException) -> str:
    if reason := disk_full_reason(error):
        return reason
    text = " ".join(str(error).split())[:200]
    return text if isinstance(error, BundleError | OSError) else f"{type(error).__name__}: {text}"


class _Saver:
    def __init__(self, plan: Plan, source: str) -> None:
        self.plan, self.source = plan, source
        self.result = SaveResult()
        self.users: dict[str, Any] = {}
        self.shared: dict[tuple[Any, tuple[Any, ...]], models.Model] = {}

    # -- shared rows ----------------------------------------------------------------------------

    def shared_rows(self) -> None:
        """The shared rows (series, …) and topic pages this install lacks, and the people
        they and their history name."""
        for kind in SHARED:
            for key, decoded in self.plan.shared.get(kind.model, {}).items():
                existing = self._here(kind.model, key)
                if existing is None:
                    self._relate(decoded, {}, [])
                    decoded.obj.save()
                    _set_times(decoded.obj, decoded.times)
                    for term in decoded.terms:
                        getattr(decoded.obj, kind.terms).create(term=term)
                    existing = decoded.obj
                self.shared[(kind.model, key)] = existing
        for slug, topic_plan in self.plan.topics.items():
            existing = Topic.objects.filter(slug=slug).first()
            if existing is not None:
                self.result.topics_kept.append(slug)
            else:
                existing = self._topic(topic_plan)
                self.result.topics_created.append(slug)
            self.shared[(Topic, (slug,))] = existing

    @staticmethod
    def _here(model: Any, key: tuple[Any, ...]) -> Any:
        names = NATURAL_KEYS[model]
        return model._default_manager.filter(**dict(zip(names, key, strict=True))).first()

    def _topic(self, topic_plan: TopicPlan) -> Topic:
        topic = topic_plan.topic.obj
        assert isinstance(topic, Topic)
        topic.save()
        self._history(topic_plan.revisions, topic_plan.redactions, "topic", topic.pk, {})
        _set_times(topic, topic_plan.topic.times)
        return topic

    def user(self, username: str | None) -> Any:
        if username is None:
            return None
        if username not in self.users:
            model = get_user_model()
            user = model._default_manager.filter(username=username).first()
            if user is None:
                names = self.plan.users[username]
                user = model(username=username, **names)
                user.set_unusable_password()
                user.save()
                self.result.users_created.append(username)
            self.users[username] = user
        return self.users[username]

    def natural(self, model: Any, key: tuple[Any, ...] | None) -> Any:
        """The shared row ``key`` of ``model`` here (the plan checked that it exists)."""
        if key is None:
            return None
        if (model, key) not in self.shared:
            self.shared[(model, key)] = self._here(model, key)
        return self.shared[(model, key)]

    # -- one case -------------------------------------------------------------------------------

    def case(self, plan: CasePlan, *, renumber: bool) -> Case:
        written: list[tuple[Storage, str]] = []
        created_users = len(self.result.users_created)
        storage_batch = getattr(default_storage, "batch", contextlib.nullcontext)
        try:
            with index.batch(), storage_batch():
                case = self._case(plan, renumber, written)
        except BaseException:
            for storage, name in written:
                storage.delete(name)
            # Their rows rolled back with the case: made again when next needed.
            for username in self.result.users_created[created_users:]:
                self.users.pop(username, None)
            del self.result.users_created[created_users:]
            raise
        self.result.created.append(case.number)
        if renumber:
            self.result.renumbered[plan.number] = case.number
        if case.status == "published" and (blockers := case.publication_blockers()):
            self.result.warnings.append(f"{case.number} is published, but: {' '.join(blockers)}")
        return case

    def _case(self, plan: CasePlan, renumber: bool, written: list[tuple[Storage, str]]) -> Case:
        case = plan.case.obj
        assert isinstance(case, Case)
        prefix, sequence = split_number(plan.number)
        case.series = self.natural(CaseSeries, (prefix,))
        case.sequence = None if renumber else sequence  # type: ignore[assignment]
        self._relate(plan.case, {}, [])
        case.save()
        made: dict[tuple[Any, int], models.Model] = {}
        later: list[tuple[models.Model, str, Any, int]] = []
        times: list[tuple[models.Model, dict[str, Any]]] = []
        for table in CASE_TABLES:
            self._rows(plan, table, plan.tables[table.key], case, made, later, written, times)
        for obj, attname, target, ref in later:
            type(obj)._default_manager.filter(pk=obj.pk).update(
                **{attname: made[(target, ref)].pk}
            )
        images = {ref: obj.pk for (model, ref), obj in made.items() if model is Image}
        self._history(plan.revisions, plan.redactions, "case", case.pk, images)
        audit(
            Action.IMPORT,
            target=case,
            summary=f"imported {case.number} from {self.source}"
            + (f" (it was {plan.number} there)" if case.number != plan.number else ""),
        )
        for obj, values in times:
            _set_times(obj, values)
        _set_times(case, plan.case.times)
        return case

    def _rows(
        self,
        plan: CasePlan,
        table: Table,
        rows: list[Decoded],
        owner: models.Model,
        made: dict[tuple[Any, int], models.Model],
        later: list[tuple[models.Model, str, Any, int]],
        written: list[tuple[Storage, str]],
        times: list[tuple[models.Model, dict[str, Any]]],
    ) -> None:
        for row in rows:
            obj = row.obj
            setattr(obj, table.parent, owner)
            self._relate(row, made, later)
            # Storing a picture sets its width and height fields from the file (to None
            # for unnamed content): the bundle's values are put back afterwards.
            plain = {
                f.attname: getattr(obj, f.attname)
                for f in _concrete(type(obj))
                if not f.is_relation and not isinstance(f, models.FileField)
            }
            for name, path in row.files.items():
                fieldfile = getattr(obj, name)
                sha256, ext = path.removeprefix("files/").split(".")
                fieldfile.save(
                    f"{sha256[:24]}.{ext}",
                    ContentFile(self.plan.file(plan.number, path)),
                    save=False,
                )
                written.append((fieldfile.storage, fieldfile.name))
            for attname, value in plain.items():
                setattr(obj, attname, value)
            obj.save()
            made[(table.model, row.id)] = obj
            if row.times:
                times.append((obj, row.times))
            for child in table.children:
                self._rows(plan, child, row.children[child.key], obj, made, later, written, times)

    def _relate(
        self,
        row: Decoded,
        made: dict[tuple[Any, int], models.Model],
        later: list[tuple[models.Model, str, Any, int]],
    ) -> None:
        """Point the row's relations at the rows they name here."""
        obj = row.obj
        meta = obj._meta
        for name, username in row.users.items():
            setattr(obj, name, self.user(username))
        for name, key in row.naturals.items():
            setattr(obj, name, self.natural(meta.get_field(name).related_model, key))
        for name, ref in row.refs.items():
            f = meta.get_field(name)
            target = f.related_model
            if ref is None:
                setattr(obj, name, None)
            elif (target, ref) in made:
                setattr(obj, name, made[(target, ref)])
            else:  # a row of the same table further on (a reply before its parent)
                setattr(obj, name, None)
                later.append((obj, f.attname, target, ref))  # type: ignore[union-attr]

    # -- history --------------------------------------------------------------------------------

    def _history(
        self,
        revisions: list[Decoded],
        redactions: list[Decoded],
        target_type: str,
        target_id: int,
        images: dict[int, int],
    ) -> None:
        for row in [*revisions, *redactions]:
            obj = row.obj
            obj.target_type = target_type  # type: ignore[attr-defined]
            obj.target_id = target_id  # type: ignore[attr-defined]
            self._relate(row, {}, [])
            if isinstance(obj, Revision) and target_type == "case":
                obj.snapshot = self._snapshot_in(obj.snapshot, images)
            obj.save()

    def _snapshot_in(self, snap: dict[str, Any], images: dict[int, int]) -> dict[str, Any]:
        """The bundle's ids in a case snapshot made this install's (see export)."""
        for image in snap.get("images") or []:
            if "id" in image:
                image["id"] = images.get(image["id"]) if image["id"] is not None else None
        for author in snap.get("authors") or []:
            if author.get("user") is not None:
                author["user"] = self.user(author["user"]).pk
        return snap


def _set_times(obj: models.Model, values: dict[str, Any]) -> None:
    if values:
        type(obj)._default_manager.filter(pk=obj.pk).update(**values)
