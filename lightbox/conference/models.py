"""Conference mode: an editor presents an agenda of cases to a room, each first as an
unknown; attendees on their phones may answer a live question before the reveal.

The presenter moves through the agenda one *stage* at a time (see :class:`Stage` and
:meth:`Conference.next`). Attendees reach the room by its join code, and only while the
presenter keeps the room open (:attr:`Conference.is_live`): a code is worth nothing
before the conference starts or after it ends.

What is kept about an attendee is the least that makes "one answer per attendee" work:
a key derived from a random token in their browser's cookie and the conference (so that
the same phone cannot be followed from one conference to the next), or, for someone
signed in, their user. No name, address or browser detail is stored.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from lightbox.cases.models import Case

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "MAX_ANSWER",
    "AgendaItem",
    "Conference",
    "LiveAnswer",
    "LiveQuestion",
    "Stage",
    "attendee_key",
    "normalise_code",
]

#: Join codes: no 0/O, 1/I/L, which a room copying from a screen confuses.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
MAX_TITLE = 200
MAX_ANSWER = 200


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: object) -> str | None:
    """A join code as typed (any case, spaces or a dash inside) in its stored form, or
    None when it cannot be one.

    Examples
    --------
    >>> normalise_code(" abc-234 "), normalise_code("ABC1234"), normalise_code("abcdeo")
    ('ABC234', None, None)
    """
    if not isinstance(raw, str) or len(raw) > 32:
        return None
    code = "".join(raw.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def attendee_key(conference_id: int, *, token: str = "", user_id: int | None = None) -> str:
    """The key one attendee's answers are stored under in one conference.

    A signed-in attendee is their user, whatever device they answer from. An anonymous
    one is their browser's random token, hashed with the conference's id: the database
    holds neither the token (which would let someone who reads it answer in their name)
    nor anything that links one conference's answers to another's.
    """
    if user_id is not None:
        return f"user:{user_id}"
    digest = hashlib.sha256(f"{conference_id}:{token}".encode()).hexdigest()
    return f"anon:{digest[:40]}"


class Stage(models.TextChoices):
    """Where the presenter is on the current case. Attendees see the answer only once it
    is ``REVEALED``; they may answer only while the question is ``OPEN``."""

    UNKNOWN = "unknown", "Unknown"
    OPEN = "open", "Question open"
    CLOSED = "closed", "Question closed"
    REVEALED = "revealed", "Revealed"


class Conference(models.Model):
    title = models.CharField(max_length=MAX_TITLE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    code = models.CharField(max_length=CODE_LENGTH, unique=True, editable=False)
    # Open to attendees: from "Start presenting" to "End the conference".
    is_live = models.BooleanField(default=False)
    current = models.ForeignKey(
        "AgendaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage = models.CharField(max_length=8, choices=Stage, default=Stage.UNKNOWN)
    # The question the presenter last opened on the current case (open or closed).
    question = models.ForeignKey(
        "LiveQuestion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bumped by every change an attendee's page shows: their page polls it, and reloads
    # only when it moved.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["owner", "-created"], name="conference_owner")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lightbox-conference-agenda", args=[self.pk])

    def get_attend_url(self) -> str:
        return reverse("lightbox-conference-attend", args=[self.code])

    def save(self, *args, **kwargs) -> None:
        if self.code:
            super().save(*args, **kwargs)
            return
        # A fresh code until one is free (31^6 codes: a clash is rare, never a loop).
        for _ in range(20):
            self.code = new_code()
            try:
                with transaction.atomic():
                    super().save(*args, **kwargs)
                return
            except IntegrityError:
                if not Conference.objects.filter(code=self.code).exists():
                    raise
        raise IntegrityError("no free join code found")

    # -- the agenda ---------------------------------------------------------------------

    def items(self) -> list[AgendaItem]:
        return list(self.agenda.select_related("case__series").order_by("order", "pk"))

    def add_case(self, case: Case) -> AgendaItem:
        last = self.agenda.aggregate(m=models.Max("order"))["m"]
        return AgendaItem.objects.create(
            conference=self, case=case, order=0 if last is None else last + 1
        )

    def move_item(self, item: AgendaItem, step: int) -> None:
        """Swap ``item`` with its neighbour ``step`` (-1 or 1) places along; the order is
        renumbered 0, 1, 2… as it goes."""
        items = self.items()
        i = next(n for n, it in enumerate(items) if it.pk == item.pk)
        j = i + step
        if 0 <= j < len(items):
            items[i], items[j] = items[j], items[i]
        for n, it in enumerate(items):
            if it.order != n:
                AgendaItem.objects.filter(pk=it.pk).update(order=n)

    def remove_item(self, item: AgendaItem) -> None:
        if self.current_id == item.pk:
            # The room moves on to nothing rather than to a case nobody chose.
            self._set(current=None, stage=Stage.UNKNOWN, question=None)
        item.delete()

    # -- presenting: every move bumps the version attendees poll ------------------------

    def _set(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self, name, value)
        self.version = F("version") + 1
        self.save(update_fields=[*fields, "version"])
        self.refresh_from_db(fields=["version"])

    def open_room(self) -> None:
        current = self.current or next(iter(self.items()), None)
        self._set(is_live=True, current=current)

    def close_room(self) -> None:
        fields: dict[str, object] = {"is_live": False}
        if self.stage == Stage.OPEN:
            self._close_question()
            fields["stage"] = Stage.CLOSED
        self._set(**fields)

    def next(self) -> None:
        """→: unknown → question open → question closed → revealed → the next case."""
        if self.current is None:
            self.go_to(next(iter(self.items()), None))
        elif self.stage in (Stage.UNKNOWN, Stage.OPEN):
            self.toggle_question()
        elif self.stage == Stage.CLOSED:
            self.reveal()
        else:
            following = self.agenda.filter(
                Q(order__gt=self.current.order)
                | Q(order=self.current.order, pk__gt=self.current.pk)
            ).order_by("order", "pk")
            if item := following.first():
                self.go_to(item)

    def previous(self) -> None:
        """←: one step back — un-reveal, reopen, withdraw the question, or the previous
        case as it was left (revealed)."""
        if self.current is None:
            return
        if self.stage == Stage.REVEALED:
            self._set(stage=Stage.CLOSED if self.question_id else Stage.UNKNOWN)
        elif self.stage == Stage.CLOSED:
            self.toggle_question()
        elif self.stage == Stage.OPEN:
            self._close_question()
            self._set(stage=Stage.UNKNOWN, question=None)
        else:
            before = self.agenda.filter(
                Q(order__lt=self.current.order)
                | Q(order=self.current.order, pk__lt=self.current.pk)
            ).order_by("-order", "-pk")
            if item := before.first():
                last = item.questions.order_by("-pk").first()
                self._set(current=item, stage=Stage.REVEALED, question=last)

    def toggle_question(self) -> bool:
        """q: open a question on the current case (a new one from the unknown stage, the
        same one again once closed), or close the open one. False when there is nothing
        to ask: no case, or its answer already shown."""
        if self.current is None or self.stage == Stage.REVEALED:
            return False
        if self.stage == Stage.OPEN:
            self._close_question()
            self._set(stage=Stage.CLOSED)
        elif self.stage == Stage.CLOSED and self.question_id:
            LiveQuestion.objects.filter(pk=self.question_id).update(closed_at=None)
            self._set(stage=Stage.OPEN)
        else:
            question = LiveQuestion.objects.create(item=self.current)
            self._set(stage=Stage.OPEN, question=question)
        return True

    def reveal(self) -> None:
        if self.current is None:
            return
        if self.stage == Stage.OPEN:
            self._close_question()
        self._set(stage=Stage.REVEALED)

    def go_to(self, item: AgendaItem | None) -> None:
        """Show ``item`` from its start, as an unknown."""
        if self.stage == Stage.OPEN:
            self._close_question()
        self._set(current=item, stage=Stage.UNKNOWN, question=None)

    def _close_question(self) -> None:
        if self.question_id:
            LiveQuestion.objects.filter(pk=self.question_id, closed_at=None).update(
                closed_at=timezone.now()
            )


class AgendaItem(models.Model):
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="agenda")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "case"], name="agenda_case_once")
        ]

    def __str__(self) -> str:
        return f"{self.conference} #{self.order + 1}: {self.case.number}"


class LiveQuestion(models.Model):
    """One opening of the question "what is your diagnosis?" on an agenda item."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="questions")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Question {self.pk} on {self.item}"


class LiveAnswer(models.Model):
    """An attendee's answer to one question; they may change it while it is open."""

    question = models.ForeignKey(LiveQuestion, on_delete=models.CASCADE, related_name="answers")
    # See attendee_key(): a signed-in user, or a hash of an anonymous browser's token.
    attendee = models.CharField(max_length=48)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.CharField(max_length=MAX_ANSWER)
    # What the histogram groups by (lightbox.conference.histogram.normalise).
    normalised = models.CharField(max_length=MAX_ANSWER)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "attendee"], name="one_answer_each")
        ]
        # The histogram: a GROUP BY answered from the index alone.
        indexes = [models.Index(fields=["question", "normalised"], name="answer_histogram")]

    def __str__(self) -> str:
        return f"Answer to question {self.question_id}"
