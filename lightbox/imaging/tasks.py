"""Background work for images, run by the task worker (django.tasks)."""

from __future__ import annotations

from django.tasks import task

from lightbox.imaging import ingest


@task
def process_upload(upload_id: str) -> str:
    """De-identify, group, render and store every file of an upload. Idempotent."""
    return ingest.process_upload(upload_id).state
