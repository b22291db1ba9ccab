"""The teaching-file case: every field of a legacy case page, structured.

A case is read in two halves. The *unknown* half (author line, rating, brief history,
images) is what a reader sees first; the *known* half (everything in ``ANSWER_FIELDS``) is
the answer, sent only when the reader asks for it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from lightbox.cases import acr, codes
from lightbox.lib import schema

MBQ_PER_MCI = Decimal(37)
# HIPAA Safe Harbor: ages over 89 are aggregated into one category.
AGE_CEILING = 90

NUMBER_RE = re.compile(r"^(?P<prefix>[a-z]{2,4})(?P<sequence>\d{1,6})$")


def split_number(number: str) -> tuple[str, int]:
    """``"bs068"`` → ``("bs", 68)``; raises ValueError for anything else."""
    match = NUMBER_RE.match(number.strip().lower())
    if not match:
        raise ValueError(
            f"{number!r} is not a case number: 2–4 lowercase letters then digits, e.g. bs068"
        )
    return match["prefix"], int(match["sequence"])


def format_number(prefix: str, sequence: int) -> str:
    return f"{prefix}{sequence:03d}"


class Modality(models.TextChoices):
    NM = "NM", "Nuclear medicine"
    PT = "PT", "PET"
    CT = "CT", "CT"
    MR = "MR", "MRI"
    CR = "CR", "Computed radiography"
    DX = "DX", "Digital radiography"
    US = "US", "Ultrasound"
    MG = "MG", "Mammography"
    XA = "XA", "Angiography"
    RF = "RF", "Fluoroscopy"
    OT = "OT", "Other"


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "O", "Other"


class Status(models.TextChoices):
    """draft → submitted → changes requested ↔ submitted → published → retired; an editor
    can reinstate a retired case (see :mod:`lightbox.cases.workflow`)."""

    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for review"
    CHANGES = "changes", "Changes requested"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private (authors and editors)"
    INSTITUTION = "institution", "Institution (signed-in users)"
    PUBLIC = "public", "Public"


class ActivityUnit(models.TextChoices):
    MCI = "mCi", "mCi"
    MBQ = "MBq", "MBq"


FIELD_CHOICES = [(d, f"{d} {name}") for d, name in acr.fields().items()]
CATEGORY_CHOICES = [(d, f".{d} {name}") for d, name in acr.categories().items()]


def validate_acr_codes(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("ACR codes must be a list of codes such as 642.3212.")
    for code in value:
        try:
            acr.parse_code(code)
        except acr.InvalidAcrCode as e:
            raise ValidationError(str(e)) from None


def validate_string_list(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError("Expected a list of non-empty text items.")


def validate_references(value: object) -> None:
    if not isinstance(value, list):
        raise ValidationError("References must be a list.")
    for ref in value:
        if not isinstance(ref, dict) or not str(ref.get("text", "")).strip():
            raise ValidationError("Each reference needs its text.")
        if set(ref) - {"text", "pmid", "doi"}:
            raise ValidationError("A reference has only text, pmid and doi.")
        if ref.get("pmid") and not str(ref["pmid"]).isdigit():
            raise ValidationError(f"PMID {ref['pmid']!r} is not a number.")
        if ref.get("doi") and not str(ref["doi"]).startswith("10."):
            raise ValidationError(f"DOI {ref['doi']!r} does not start with 10.")


class Series(models.Model):
    """A run of case numbers with a common prefix: ``bs`` = bone scintigraphy."""

    prefix = models.CharField(
        max_length=4,
        unique=True,
        validators=[RegexValidator(r"^[a-z]{2,4}$", "2–4 lowercase letters, e.g. bs")],
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["prefix"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return f"{self.prefix} — {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("lightbox-series-detail", args=[self.prefix])

    def next_sequence(self) -> int:
        last = self.cases.aggregate(m=models.Max("sequence"))["m"]
        return (last or 0) + 1


class Topic(models.Model):
    """A "References and General Discussion of …" page shared by the cases of one anatomic
    field and pathology category."""

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    anatomic_field = models.CharField(max_length=1, choices=FIELD_CHOICES, blank=True)
    category = models.CharField(max_length=1, choices=CATEGORY_CHOICES, blank=True)
    discussion = models.TextField(blank=True, help_text="Markdown.")
    references = models.JSONField(default=list, blank=True, validators=[validate_references])
    is_demo = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lightbox-topic-detail", args=[self.slug])

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = self._free_slug()
        super().save(*args, **kwargs)

    def _free_slug(self) -> str:
        """The title as a slug, made unique with "-2", "-3", …; "topic" for a title with
        nothing a slug can hold ("✓", "…")."""
        base = slugify(self.title)[:110].strip("-") or "topic"
        taken = set(Topic.objects.filter(slug__startswith=base).values_list("slug", flat=True))
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        return slug

    @property
    def field_name(self) -> str:
        return acr.field_name(self.anatomic_field)

    @property
    def category_name(self) -> str:
        return acr.category_name(self.category)


class CaseQuerySet(models.QuerySet["Case"]):
    def published(self) -> CaseQuerySet:
        return self.filter(status=Status.PUBLISHED)


def rating(difficulty: int | None, quality: int | None) -> str:
    """``#D3, #Q4`` as the legacy pages print it; empty when neither is set."""
    parts = []
    if difficulty:
        parts.append(f"#D{difficulty}")
    if quality:
        parts.append(f"#Q{quality}")
    return ", ".join(parts)


class Case(models.Model):
    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="cases")
    sequence = models.PositiveIntegerField()
    # Denormalised "bs068" so a lookup by number is one indexed equality.
    number = models.CharField(max_length=12, unique=True, editable=False)
    title = models.CharField(max_length=200, blank=True)
    case_date = models.DateField(null=True, blank=True)
    difficulty = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    quality = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    modality = models.CharField(max_length=2, choices=Modality, blank=True)
    exam = models.CharField("exam / procedure", max_length=200, blank=True)
    patient_age = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(AGE_CEILING)],
        help_text="Years. Ages over 89 are stored as 90 (“90 or older”).",
    )
    patient_sex = models.CharField(max_length=1, choices=Sex, blank=True)

    brief_history = models.TextField(blank=True, help_text="Shown before the answer.")
    full_history = models.TextField(blank=True)
    findings = models.TextField(blank=True)
    diagnosis = models.TextField(blank=True)
    discussion = models.TextField(blank=True)
    followup = models.TextField(blank=True)
    # Ordered lists edited as a whole; each item is its own entry.
    differential = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    # Other wordings of the diagnosis that grading accepts (lightbox/learning/grading.py);
    # an editor who overrules a grade adds the reader's answer here.
    accepted_answers = models.JSONField(
        default=list, blank=True, validators=[validate_string_list]
    )
    references = models.JSONField(default=list, blank=True, validators=[validate_references])
    acr_codes = models.JSONField(default=list, blank=True, validators=[validate_acr_codes])
    keywords = models.JSONField(default=list, blank=True, validators=[validate_string_list])
    # RadLex and SNOMED CT codes with their terms, in the author's order (see Code).
    codes: models.ManyToManyField[Code, CaseCode] = models.ManyToManyField(
        "Code", through="CaseCode", related_name="cases", blank=True
    )
    # From the primary (first) ACR code when there is one, otherwise chosen by the author.
    anatomic_field = models.CharField(max_length=1, choices=FIELD_CHOICES, blank=True)
    category = models.CharField(max_length=1, choices=CATEGORY_CHOICES, blank=True)
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    copyright = models.CharField("copyright / institution", max_length=300, blank=True)

    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    visibility = models.CharField(max_length=12, choices=Visibility, default=Visibility.PRIVATE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # a partial index instead: see Meta.indexes
    )
    # Text an importer could not place. Kept so that nothing is silently lost.
    unparsed = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="Where it was imported from.")
    is_demo = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    #: The case's text sections, in the order a reader reads them, each with the label a
    #: reader sees. The editor, the history and search read them from here.
    SECTIONS: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "brief_history": "Brief history",
            "full_history": "Full history",
            "findings": "Findings",
            "diagnosis": "Diagnosis",
            "discussion": "Discussion",
            "followup": "Follow-up",
        }
    )

    ANSWER_FIELDS = (
        # Every section but the brief history, which is read with the unknown.
        *[name for name in SECTIONS if name != "brief_history"],
        "differential",
        "accepted_answers",
        "references",
        "acr_codes",
        "codes",
        "keywords",
        "topic",
        "unparsed",
    )

    class Meta:
        ordering = ["series__prefix", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["series", "sequence"], name="case_unique_sequence"),
            models.CheckConstraint(
                condition=Q(difficulty__isnull=True) | Q(difficulty__gte=1, difficulty__lte=5),
                name="case_difficulty_1_5",
            ),
            models.CheckConstraint(
                condition=Q(quality__isnull=True) | Q(quality__gte=1, quality__lte=5),
                name="case_quality_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "visibility", "-published_at"], name="case_listing"),
            models.Index(fields=["anatomic_field", "category"], name="case_acr"),
            models.Index(fields=["modality"], name="case_modality"),
            # Imported cases have no creator. A plain index over a column that is
            # nearly all NULL gets statistics saying each value matches every row, and
            # SQLite then scans the table for "cases this person created"; a partial
            # index holds only the rows that name someone.
            models.Index(
                fields=["created_by"], condition=Q(created_by__isnull=False), name="case_creator"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()

    def get_absolute_url(self) -> str:
        return reverse("lightbox-case-detail", args=[self.number])

    def get_known_url(self) -> str:
        return reverse("lightbox-case-known", args=[self.number])

    # -- derived values -------------------------------------------------------------------

    @property
    def rating(self) -> str:
        return rating(self.difficulty, self.quality)

    @property
    def field_name(self) -> str:
        return acr.field_name(self.anatomic_field)

    @property
    def category_name(self) -> str:
        return acr.category_name(self.category)

    @property
    def patient_age_display(self) -> str:
        if self.patient_age is None:
            return ""
        if self.patient_age >= AGE_CEILING:
            return "90 or older"
        return f"{self.patient_age}"

    # -- saving ---------------------------------------------------------------------------

    def clean(self) -> None:
        if self.patient_age is not None and self.patient_age > AGE_CEILING:
            self.patient_age = AGE_CEILING
        # A malformed code is reported by the acr_codes field validator, next to the field.
        with contextlib.suppress(acr.InvalidAcrCode, TypeError, AttributeError):
            self.sync_acr_classification()
        if (
            self.status == Status.PUBLISHED
            and self.pk
            and (blockers := self.publication_blockers())
        ):
            # Not tied to the status field: the case editor has none, and a form cannot
            # show an error for a field it lacks (Django raises ValueError).
            raise ValidationError(blockers)

    def publication_blockers(self, unresolved: list[Any] | None = None) -> list[str]:
        """Why this case may not be published yet (empty when it may); pass
        ``unresolved`` when :meth:`unresolved_identifiers` has already been run."""
        blockers = []
        # Review state belongs to each instance: a series counts while any of its
        # instances needs review, even if its image row does not say so (yet).
        flagged = self.images.filter(pixel_review="needed").count()
        # The imaging app's Series, reached through this case's studies: the cases app
        # is the floor the others stand on, and imports none of them.
        series = schema.related_model(schema.related_model(type(self), "studies"), "series")
        flagged += (
            series._default_manager.filter(study__case=self, instances__pixel_review="needed")
            .exclude(image__pixel_review="needed")
            .distinct()
            .count()
        )
        if flagged:
            blockers.append(
                f"{flagged} image(s) may show burned-in identifiers: review their pixels first."
            )
        if unresolved is None:
            unresolved = self.unresolved_identifiers()
        if found := len(unresolved):
            blockers.append(
                f"{found} possible identifier(s) in the text: remove them, or confirm in the "
                "editor that they are not identifiers."
            )
        return blockers

    def text_fields(self) -> dict[str, str]:
        """Every piece of text a reader can see, by field, for the identifier scan."""
        texts = {
            name: str(getattr(self, name) or "")
            for name in ("title", "exam", *self.SECTIONS, "copyright")
        }
        for name in ("differential", "keywords"):
            for i, item in enumerate(getattr(self, name) or []):
                texts[f"{name}.{i + 1}"] = str(item)
        for i, ref in enumerate(self.references or []):
            texts[f"references.{i + 1}"] = (
                str(ref.get("text", "")) if isinstance(ref, dict) else ""
            )
        if self.pk:
            rows = self.images.order_by("order", "pk")
            for order, caption, answer in rows.values_list("order", "caption", "answer_caption"):
                texts[f"caption.{order + 1}"] = caption
                texts[f"answer_caption.{order + 1}"] = answer
        return {k: v for k, v in texts.items() if v}

    def unresolved_identifiers(self, texts: dict[str, str] | None = None) -> list[Any]:
        """Possible identifiers in :meth:`text_fields` (or ``texts``, when the caller has
        them already) that nobody has acknowledged."""
        # Imported here: the deid package brings pydicom with it.
        from lightbox.deid import scan_fields, unresolved

        findings = scan_fields(self.text_fields() if texts is None else texts)
        if not findings or not self.pk:
            return findings
        acknowledged = self.acknowledgements.values_list("fingerprint", flat=True)
        return unresolved(findings, acknowledged)

    def sync_acr_classification(self) -> None:
        """The primary ACR code decides the anatomic field and category."""
        if not self.acr_codes:
            return
        # Raises InvalidAcrCode on a malformed code: nothing malformed is ever saved.
        code = acr.parse_code(self.acr_codes[0])
        self.anatomic_field = code.field
        if code.category:
            self.category = code.category

    def save(self, *args, **kwargs) -> None:
        if self.patient_age is not None and self.patient_age > AGE_CEILING:
            self.patient_age = AGE_CEILING
        self.sync_acr_classification()
        if self.status == Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        if self.sequence is None:
            with transaction.atomic():
                # Lock the series row (PostgreSQL) so that two authors creating cases at
                # once do not both take the same number; SQLite serialises writers anyway.
                Series.objects.select_for_update().get(pk=self.series_id)
                self.sequence = self.series.next_sequence()
                self.number = format_number(self.series.prefix, self.sequence)
                super().save(*args, **kwargs)
            return
        self.number = format_number(self.series.prefix, self.sequence)
        super().save(*args, **kwargs)


class CaseAuthor(models.Model):
    """One author of a case, in byline order."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="authors")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    credentials = models.CharField(max_length=100, blank=True, help_text="e.g. M.D., Ph.D.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="authorships",
        db_index=False,  # a partial index instead (see Case.Meta.indexes)
    )

    class Meta:
        ordering = ["order", "pk"]
        indexes = [
            models.Index(fields=["user"], condition=Q(user__isnull=False), name="caseauthor_user")
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class Radiopharmaceutical(models.Model):
    """One administered radiopharmaceutical: "21.6 mCi Tc-99m MDP i.v."."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="radiopharmaceuticals")
    order = models.PositiveSmallIntegerField(default=0)
    agent = models.CharField(max_length=120, db_index=True, help_text="e.g. Tc-99m MDP")
    activity = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=3, choices=ActivityUnit, blank=True)
    route = models.CharField(max_length=40, blank=True, help_text="e.g. i.v., oral")
    time_to_imaging = models.CharField(max_length=60, blank=True, help_text="e.g. 3 hours")

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        dose = f"{self.activity_display} " if self.activity is not None else ""
        return f"{dose}{self.agent} {self.route}".strip()

    def clean(self) -> None:
        if self.activity is not None and not self.unit:
            raise ValidationError({"unit": "Give the unit of the activity (mCi or MBq)."})

    @property
    def activity_mci(self) -> Decimal | None:
        if self.activity is None:
            return None
        if self.unit == ActivityUnit.MBQ:
            return (self.activity / MBQ_PER_MCI).quantize(Decimal("0.01"))
        return self.activity.normalize()

    @property
    def activity_mbq(self) -> Decimal | None:
        if self.activity is None:
            return None
        if self.unit == ActivityUnit.MCI:
            return (self.activity * MBQ_PER_MCI).normalize()
        return self.activity.normalize()

    @property
    def activity_display(self) -> str:
        """Both units, the given one first: "21.6 mCi (799.2 MBq)"."""
        if self.activity is None:
            return ""
        given = f"{self.activity.normalize():f} {self.unit}"
        if self.unit == ActivityUnit.MCI:
            return f"{given} ({self.activity_mbq:f} MBq)"
        return f"{given} ({self.activity_mci:f} mCi)"


class CodeSystem(models.TextChoices):
    """Vocabularies a case's codes come from, by their DICOM coding scheme designators."""

    RADLEX = codes.RADLEX, codes.SYSTEMS[codes.RADLEX]
    SNOMED_CT = codes.SNOMED_CT, codes.SYSTEMS[codes.SNOMED_CT]


class Code(models.Model):
    """A code of a standard vocabulary with its term: a RadLex ID and its preferred name,
    or a SNOMED CT identifier and its term (``SCT 22298006`` "Myocardial infarction").
    Identifiers and terms only.

    One row per code, shared by every case that carries it; RadLex rows are written by
    ``manage.py import_radlex`` (with their synonyms and broader codes), others by the case
    editor, where an author gives the term of a code the table does not have yet.
    """

    system = models.CharField(max_length=8, choices=CodeSystem)
    code = models.CharField(max_length=20)
    meaning = models.CharField(max_length=codes.MAX_TERM)
    # codes.term_key(meaning): looked up by grading and the editor.
    key = models.CharField(max_length=codes.MAX_TERM, db_index=True, editable=False)
    # Broader codes of the same system (RadLex: the classes it is a subclass of).
    parents = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=300, help_text="Where the code and its term came from.")
    updated = models.DateTimeField(auto_now=True)

    #: The source of a code an author typed in the case editor: its term may be corrected
    #: there. A code from an imported vocabulary keeps the vocabulary's term.
    EDITOR_SOURCE: ClassVar[str] = "entered in the case editor"
    #: The source of a code first met in an imported MIRCdocument, with the document's
    #: term: typed by a person too, so it may be corrected in the editor likewise.
    MIRC_SOURCE: ClassVar[str] = "mirc"

    class Meta:
        ordering = ["system", "code"]
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="code_unique_per_system")
        ]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.code} {self.meaning}"

    @property
    def terms(self) -> tuple[str, ...]:
        """The meaning, then the synonyms (prefetch ``synonyms`` when reading many)."""
        return (self.meaning, *[s.term for s in self.synonyms.all() if s.term != self.meaning])

    @property
    def typed_by_hand(self) -> bool:
        """Whether its term was typed by a person (in the editor, or in a MIRCdocument)
        rather than taken from a vocabulary."""
        return self.source in (self.EDITOR_SOURCE, self.MIRC_SOURCE)

    def clean(self) -> None:
        try:
            self.code = codes.parse_code(self.system, self.code)
            self.meaning = codes.clean_term(self.meaning)
        except codes.InvalidCode as e:
            raise ValidationError(str(e)) from None

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.key = codes.term_key(self.meaning)
        if (fields := kwargs.get("update_fields")) is not None and "meaning" in fields:
            kwargs["update_fields"] = {*fields, "key"}
        super().save(*args, **kwargs)


class CodeSynonym(models.Model):
    """Another term of a code ("osteitis deformans" for Paget disease of bone): searched,
    and accepted by grading as the diagnosis."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="synonyms")
    term = models.CharField(max_length=codes.MAX_TERM)
    key = models.CharField(max_length=codes.MAX_TERM, db_index=True, editable=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["code", "term"], name="codesynonym_unique_per_code")
        ]

    def __str__(self) -> str:
        return self.term

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.key = codes.term_key(self.term)
        super().save(*args, **kwargs)


class CaseCode(models.Model):
    """One code of a case, in the author's order. A code in use cannot be deleted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_codes")
    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="case_codes")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "code"], name="casecode_unique_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.code_id}"


class RenderedPage(models.Model):
    """A case's article as HTML, rendered once and served until the case changes.

    A teaching file is read far more than it is written, so the reading pages are stored
    rendered. A row is valid only while its ``stamp`` equals the case's ``updated`` and its
    ``version`` equals the templates' (see :mod:`lightbox.cases.pages`); anything else is
    re-rendered on the next read. It is a cache: deleting every row loses nothing.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    view = models.CharField(max_length=8)
    stamp = models.DateTimeField()
    version = models.CharField(max_length=16)
    html = models.BinaryField(help_text="zlib-compressed UTF-8")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "view"], name="renderedpage_one_per_view")
        ]

    def __str__(self) -> str:
        return f"{self.view} page of case {self.case_id}"


class ReviewNote(models.Model):
    """One step of a case's review: who moved it where, and what they wrote (an editor's
    request for changes, an author's reply on resubmission)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="review_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    status = models.CharField("moved to", max_length=10, choices=Status)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.case} → {self.status}"


class IdentifierAcknowledgement(models.Model):
    """An author's word that a possible identifier the text scan found is not one. Kept by
    the finding's fingerprint (see :mod:`lightbox.deid.text`), never by its text, so
    no identifier is stored here even when the author is wrong; an edited match has a new
    fingerprint and must be looked at again."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="acknowledgements")
    fingerprint = models.CharField(max_length=32)
    field = models.CharField(max_length=60)
    kind = models.CharField(max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "fingerprint"], name="ack_unique_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.kind} in {self.field}"


class EditDraft(models.Model):
    """What an author typed in the editor and has not saved yet, kept by autosave so that
    a closed tab or a crash loses nothing. One per case and person; saving the case
    removes it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="edit_drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict)
    base_revision = models.PositiveIntegerField(default=0)
    saved = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="draft_unique_per_person")
        ]

    def __str__(self) -> str:
        return f"Unsaved edit of {self.case} by {self.user}"
