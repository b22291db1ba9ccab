"""What the imaging app makes searchable: image captions, before and after the answer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from lightbox.imaging.models import Image
from lightbox.search.registry import Column, Source, register


def collect_captions(ids: Sequence[int]) -> Mapping[int, Mapping[str, str]]:
    """Both captions of every image, in the ``caption`` column.

    The caption after the answer is searched like the diagnosis is: what a reader asks
    for may match it, in any mode, but no result shows it — snippets come from the
    case's sections in known mode and from the brief history alone in unknown mode
    (:func:`lightbox.search.engine._snippet`)."""
    captions: dict[int, list[str]] = defaultdict(list)
    rows = Image.objects.filter(case_id__in=ids).order_by("order", "pk")
    for case_id, caption, answer in rows.values_list("case_id", "caption", "answer_caption"):
        captions[case_id].extend(text for text in (caption, answer) if text)
    return {case_id: {"caption": "\n".join(texts)} for case_id, texts in captions.items()}


register(
    Source(
        name="images",
        columns=(Column("caption", 1.0, "C"),),
        collect=collect_captions,
        watch={Image: lambda image: [image.case_id]},
    )
)
