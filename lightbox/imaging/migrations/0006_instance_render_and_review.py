"""Instance.render_error (a file stored but not renderable is marked, not fatal) and the
upload's processing lease (Upload.owner, Upload.heartbeat: one owner at a time)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imaging", "0005_upload_chunks_and_zip_depth"),
    ]

    operations = [
        migrations.AddField(
            model_name="instance",
            name="render_error",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="upload",
            name="owner",
            field=models.CharField(blank=True, max_length=120),
        ),
        migrations.AddField(
            model_name="upload",
            name="heartbeat",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
