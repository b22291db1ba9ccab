"""Every diagnosis Lightbox knows, for grading's rival rule (see grading.py).

Each process keeps one :class:`~lightbox.learning.grading.Lexicon` of every case's
diagnosis, accepted answers and differential items. It follows the search index's
sequence (:mod:`lightbox.search.store`): before a grade it asks for the newest ``seq``
(one indexed lookup) and adds the texts of the cases written since, so an accepted answer
added by an editor is known to every process at its next grade. Texts are only ever
added: a diagnosis that was edited away stays a known diagnosis until the process
restarts, which can only make grading stricter, never more lenient.
"""

from __future__ import annotations

import logging
import threading

from lightbox.cases.models import Case
from lightbox.learning.grading import Lexicon
from lightbox.search import store
from lightbox.search.models import Entry

__all__ = ["known", "reset", "warm_up"]

logger = logging.getLogger(__name__)
_LOCK = threading.Lock()
_STATE: dict[str, object] = {"seq": -1, "lexicon": Lexicon()}


def _texts(case_ids: list[int] | None) -> list[str]:
    rows = Case.objects.all()
    if case_ids is not None:
        rows = rows.filter(pk__in=case_ids)
    texts: list[str] = []
    for diagnosis, accepted, differential in rows.values_list(
        "diagnosis", "accepted_answers", "differential"
    ).iterator(chunk_size=2000):
        texts.append(diagnosis)
        texts.extend(str(x) for x in accepted or ())
        texts.extend(str(x) for x in differential or ())
    return [t for t in texts if t and t.strip()]


def known() -> Lexicon:
    """This process's lexicon, brought up to date."""
    newest = store._newest_seq()
    with _LOCK:
        seq = int(_STATE["seq"])  # type: ignore[call-overload]
        lexicon: Lexicon = _STATE["lexicon"]  # type: ignore[assignment]
        if newest == seq:
            return lexicon
        if seq < 0 or newest < seq:  # first use, or the index was emptied
            lexicon = Lexicon()
            lexicon.update(_texts(None))
        else:
            changed = list(Entry.objects.filter(seq__gt=seq).values_list("case_id", flat=True))
            lexicon.update(_texts(changed))
        _STATE.update(seq=newest, lexicon=lexicon)
        return lexicon


def warm_up() -> None:
    """Build the lexicon in a background thread, so that a web process's first grade does
    not wait for it (at 100,000 cases it takes about 25 s; a grade meanwhile waits)."""
    from django.db import connection

    def run() -> None:
        try:
            known()
        except Exception:  # noqa: BLE001 (not migrated yet, say: the first grade builds it)
            logger.debug("the lexicon was not built ahead of the first grade", exc_info=True)
        finally:
            connection.close()

    threading.Thread(target=run, name="lexicon-warm-up", daemon=True).start()


def reset() -> None:
    """Forget everything (tests switch databases under the process)."""
    with _LOCK:
        _STATE.update(seq=-1, lexicon=Lexicon())
