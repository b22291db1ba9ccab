"""Backups of a whole install and their restore: ``manage.py backup`` / ``restore``.

A backup is one plain tar file: the database (SQLite's online backup, or ``pg_dump
-Fc``), every stored file of every storage (read through Django's storage API, so a
bucket is backed up like a folder), the two secrets an install cannot do without, and a
manifest with each member's SHA-256. See :mod:`lightbox.ops.backup.archive` for the
layout and docs/deployment.md for how to use it.
"""

from lightbox.ops.backup.archive import FORMAT_VERSION, BackupError, Manifest
from lightbox.ops.backup.create import BackupResult, create_backup
from lightbox.ops.backup.restore import PartlyRestored, RestoreResult, restore_backup

__all__ = [
    "FORMAT_VERSION",
    "BackupError",
    "BackupResult",
    "Manifest",
    "PartlyRestored",
    "RestoreResult",
    "create_backup",
    "restore_backup",
]
