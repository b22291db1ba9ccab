"""Two captions per image: ``caption`` (before the answer) and ``answer_caption``.

Existing captions were written to be read beside the answer, and a migration cannot tell
which of them give it away, so the safe default moves each one into ``answer_caption``
and leaves the caption before the answer empty: nothing that was a caption is shown
before the reveal until an author writes a view caption (docs/authoring.md). Captions
of cases imported from legacy pages stay where they are: a legacy page prints its
"Images:" line above "Full history/Diagnosis is available below", before its answer.

Each case whose captions move gets a revision saying so, so that its history does not
pin the move on whoever saves the case next.
"""

from django.db import migrations, models
from django.utils import timezone

MESSAGE = (
    "Upgrade: the image captions were moved to “caption after the answer”; write a "
    "caption for before the answer (the view) in the editor."
)
UPGRADE = "Lightbox upgrade"


def _moved_cases(Image):
    """{case id: {image id: caption}} of the captions to move."""
    moved: dict[int, dict[int, str]] = {}
    rows = (
        Image.objects.exclude(caption="")
        .filter(models.Q(case__source="") | models.Q(case__is_demo=True))
        .values_list("case_id", "pk", "caption")
    )
    for case_id, pk, caption in rows.iterator():
        moved.setdefault(case_id, {})[pk] = caption
    return moved


def move_captions(apps, schema_editor):
    Image = apps.get_model("imaging", "Image")
    Case = apps.get_model("cases", "Case")
    Revision = apps.get_model("history", "Revision")
    moved = _moved_cases(Image)
    now = timezone.now()
    for case_id, captions in moved.items():
        for pk, caption in captions.items():
            Image.objects.filter(pk=pk).update(answer_caption=caption, caption="")
        Case.objects.filter(pk=case_id).update(updated=now)  # re-render its pages
        latest = (
            Revision.objects.filter(target_type="case", target_id=case_id)
            .order_by("-number")
            .first()
        )
        if latest is None:
            continue  # the first revision, when made, will hold the new captions
        snapshot = dict(latest.snapshot)
        images = [dict(i) for i in snapshot.get("images") or []]
        for image in images:
            if image.get("id") in captions:
                image["answer_caption"] = captions[image["id"]]
                image["caption"] = ""
        snapshot["images"] = images
        if snapshot != latest.snapshot:
            Revision.objects.create(
                target_type="case",
                target_id=case_id,
                number=latest.number + 1,
                created=now,
                user_name=UPGRADE,
                kind="edited",
                message=MESSAGE,
                snapshot=snapshot,
                changed=["images"],
            )


def merge_captions(apps, schema_editor):
    """Back to one caption: an answer caption fills an empty caption."""
    Image = apps.get_model("imaging", "Image")
    Image.objects.filter(caption="").exclude(answer_caption="").update(
        caption=models.F("answer_caption")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("imaging", "0006_instance_render_and_review"),
        ("cases", "0004_partial_user_indexes"),
        ("history", "0001_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="image",
            name="answer_caption",
            field=models.TextField(
                blank=True,
                help_text="Shown once the reader reveals the answer: what the image shows.",
                verbose_name="caption after the answer",
            ),
        ),
        migrations.AlterField(
            model_name="image",
            name="caption",
            field=models.TextField(
                blank=True,
                help_text="Shown with the unknown: the view only, nothing that gives the answer.",
                verbose_name="caption before the answer",
            ),
        ),
        migrations.RunPython(move_captions, merge_captions),
    ]
