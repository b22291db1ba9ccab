"""A reader's learning record: attempts at cases, review cards, study sessions, and the
difficulty readers measure. See docs/learning.md.

Who sees what (decided in :mod:`lightbox.learning.access`): a learner sees only their own
attempts; editors and administrators see each case's aggregate results; an editor (a
program director) may open one learner's record; nobody else's answers reach anyone.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from lightbox.learning import scheduling


class Confidence(models.IntegerChoices):
    GUESS = 1, "Guess"
    FAIRLY_SURE = 2, "Fairly sure"
    CERTAIN = 3, "Certain"


class Outcome(models.TextChoices):
    """The grade of an attempt's diagnosis (see :mod:`lightbox.learning.grading`)."""

    CORRECT = "correct", "Correct"
    SPELLING = "spelling", "Correct (spelling)"
    PARTIAL = "partial", "Partially correct"
    INCORRECT = "incorrect", "Incorrect"
    UNSURE = "unsure", "Self-graded"


RIGHT_OUTCOMES = frozenset({Outcome.CORRECT, Outcome.SPELLING})


class StudySession(models.Model):
    """An ordered list of cases a reader steps through: a quiz (unknown) or a reading
    (known). The list is fixed when the session starts, so that next and previous stay
    put while cases change; a case the reader may no longer see is skipped."""

    class Mode(models.TextChoices):
        UNKNOWN = "unknown", "As unknowns"
        KNOWN = "known", "With the answers"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_sessions"
    )
    title = models.CharField(max_length=200)
    # Where the list came from (a search's query string, a facet, "due", "random"…), to
    # link back to it from the summary.
    source_url = models.CharField(max_length=500, blank=True)
    mode = models.CharField(max_length=8, choices=Mode, default=Mode.UNKNOWN)
    case_ids = models.JSONField(default=list)
    is_review = models.BooleanField(default=False, help_text="The session of due cases.")
    created = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["user", "-created"], name="learning_session_user")]

    def __str__(self) -> str:
        return f"{self.title} ({self.user})"

    def __len__(self) -> int:
        return len(self.case_ids)


class Attempt(models.Model):
    """One reader's committed answer to one case, graded."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="attempts")
    session = models.ForeignKey(
        StudySession, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    answer = models.CharField(max_length=300)
    differential = models.JSONField(default=list, blank=True)
    confidence = models.PositiveSmallIntegerField(choices=Confidence, null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome)
    # The text the answer was matched to (the diagnosis, an accepted answer, a
    # differential item), and the grader's similarity, 0–100.
    matched = models.CharField(max_length=300, blank=True)
    similarity = models.FloatField(default=0)
    # For an unsure grade: the reader's own verdict, once given.
    self_graded_right = models.BooleanField(null=True, blank=True)
    points = models.SmallIntegerField(default=0, help_text="Diagnosis: 2, 1 or 0.")
    marks = models.SmallIntegerField(default=0, help_text="Confidence-based marks.")
    seconds = models.PositiveIntegerField(null=True, blank=True, help_text="Time to answer.")
    # Which differential items were in the case's differential (indexes into
    # ``differential``), for the reader's feedback.
    differential_hits = models.JSONField(default=list, blank=True)
    overruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    overruled_at = models.DateTimeField(null=True, blank=True)
    original_outcome = models.CharField(max_length=10, choices=Outcome, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["user", "-created"], name="learning_attempt_user"),
            models.Index(fields=["case", "-created"], name="learning_attempt_case"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=1, confidence__lte=3),
                name="attempt_confidence_1_3",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.case_id}: {self.outcome}"

    @property
    def is_right(self) -> bool:
        if self.outcome == Outcome.UNSURE:
            return bool(self.self_graded_right)
        return self.outcome in RIGHT_OUTCOMES

    @property
    def awaits_self_grade(self) -> bool:
        return self.outcome == Outcome.UNSURE and self.self_graded_right is None


class Card(models.Model):
    """A (reader, case) pair in spaced repetition; see :mod:`lightbox.learning.scheduling`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cards"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="cards")
    state = models.PositiveSmallIntegerField(default=int(scheduling.State.Learning))
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "case"], name="card_one_per_reader_case")
        ]
        indexes = [models.Index(fields=["user", "due"], name="learning_card_due")]

    def __str__(self) -> str:
        return f"{self.user} · {self.case_id} due {self.due:%Y-%m-%d %H:%M}"

    def step_state(self) -> scheduling.Step:
        return scheduling.Step(
            self.pk,
            self.state,
            self.step,
            self.stability,
            self.difficulty,
            self.due,
            self.last_review,
        )

    def take(self, step: scheduling.Step) -> None:
        self.state, self.step = step.state, step.step
        self.stability, self.difficulty = step.stability, step.difficulty
        self.due, self.last_review = step.due, step.last_review


class Review(models.Model):
    """The review log: every rating a card received, and when."""

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="reviews")
    attempt = models.OneToOneField(
        Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="review"
    )
    rating = models.PositiveSmallIntegerField()
    reviewed_at = models.DateTimeField()
    due_before = models.DateTimeField(null=True, blank=True)
    due_after = models.DateTimeField()

    class Meta:
        ordering = ["reviewed_at"]

    def __str__(self) -> str:
        return f"card {self.card_id}: {self.rating} at {self.reviewed_at:%Y-%m-%d %H:%M}"


class CaseDifficulty(models.Model):
    """A case's difficulty as readers measure it (online Rasch; see calibration.py)."""

    case = models.OneToOneField(
        "cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="measured"
    )
    difficulty = models.FloatField(default=0.0)
    attempts = models.PositiveIntegerField(default=0)
    right = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.case_id}: {self.difficulty:+.2f} over {self.attempts}"


class ReaderAbility(models.Model):
    """A reader's ability on the same scale as :class:`CaseDifficulty`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    ability = models.FloatField(default=0.0)
    attempts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.ability:+.2f}"


def today_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of the reader's day (the site's time zone) around ``now``."""
    from django.utils import timezone

    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)
