"""The search index's own tables.

One :class:`Entry` per case holds what search needs besides text: who may see the case,
its facet values, its sort keys, the lists similar-case scoring compares, and its
sentence embedding. The text itself lives in the backend's full-text table (see
:mod:`lightbox.search.backends`). Every write takes the next number from
:class:`Generation`, so a process holding the entries in memory catches up by reading
only the rows with a higher ``seq`` (see :mod:`lightbox.search.store`).
"""

from __future__ import annotations

from django.db import models


class Audience(models.IntegerChoices):
    """Who may find a case (mirrors :func:`lightbox.cases.access.visible_cases_q`)."""

    PUBLIC = 0, "Everyone"
    INSTITUTION = 1, "Signed-in users"
    OWNERS = 2, "Its authors and the editors"  # not published, private, or retired
    GONE = 3, "Nobody"  # the case was deleted


class Generation(models.Model):
    """A single row: the last ``seq`` handed out. Writers lock it, so entries are numbered
    in the order their transactions commit."""

    seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"search generation {self.seq}"

    @classmethod
    def next_seq(cls) -> int:
        """The next number for entries written in this transaction (embeddings too).
        Locking the row orders writers, so entries are numbered in commit order."""
        generation, _ = cls.objects.select_for_update().get_or_create(pk=1)
        generation.seq += 1
        generation.save(update_fields=["seq"])
        return generation.seq


class Entry(models.Model):
    # Not a foreign key: a deleted case leaves its entry behind as a tombstone
    # (audience GONE), so that every process notices the deletion.
    case_id = models.PositiveIntegerField(primary_key=True)
    seq = models.BigIntegerField(db_index=True)
    audience = models.PositiveSmallIntegerField(choices=Audience)
    number = models.CharField(max_length=12)
    published = models.DateTimeField(null=True)

    # Facets ("" or None when unknown).
    field = models.CharField(max_length=1, blank=True)
    category = models.CharField(max_length=1, blank=True)
    modality = models.CharField(max_length=2, blank=True)
    series = models.CharField(max_length=4, blank=True)
    difficulty = models.PositiveSmallIntegerField(null=True)
    quality = models.PositiveSmallIntegerField(null=True)
    year = models.PositiveSmallIntegerField(null=True)
    age = models.CharField(max_length=12, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    agents = models.JSONField(default=list)
    authors = models.JSONField(default=list)

    # For similar cases.
    topic_id = models.PositiveIntegerField(null=True)
    acr_codes = models.JSONField(default=list)
    differential = models.JSONField(default=list, help_text="Normalised items.")
    keywords = models.JSONField(default=list, help_text="Normalised items.")
    embedded_text = models.CharField(max_length=64, blank=True, help_text="SHA-256.")
    vector = models.BinaryField(null=True, help_text="float32 sentence embedding.")

    class Meta:
        verbose_name_plural = "entries"

    def __str__(self) -> str:
        return f"search entry of {self.number}"
