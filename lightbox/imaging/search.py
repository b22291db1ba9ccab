"""What the imaging app makes searchable: image captions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from lightbox.imaging.models import Image
from lightbox.search.registry import Column, Source, register


def collect_captions(ids: Sequence[int]) -> Mapping[int, Mapping[str, str]]:
    captions: dict[int, list[str]] = defaultdict(list)
    rows = Image.objects.filter(case_id__in=ids).exclude(caption="").order_by("order", "pk")
    for case_id, caption in rows.values_list("case_id", "caption"):
        captions[case_id].append(caption)
    return {case_id: {"caption": "\n".join(texts)} for case_id, texts in captions.items()}


register(
    Source(
        name="images",
        columns=(Column("caption", 1.0, "C"),),
        collect=collect_captions,
        watch={Image: lambda image: [image.case_id]},
    )
)
