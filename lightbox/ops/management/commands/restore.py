"""python manage.py restore IN [--force]

Restore a backup written by ``manage.py backup`` into this install. The archive is
checked in full (every member's SHA-256) before anything is touched; an install that
already holds cases, users or files is refused unless ``--force`` is given. Stop
Lightbox's web server and worker first.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lightbox.ops.backup import BackupError, PartlyRestored, restore_backup
from lightbox.ops.management.commands.backup import bars


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` (checked in full before anything changes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="IN", help="the backup archive")
        parser.add_argument(
            "--force",
            action="store_true",
            help="restore into an install that is not empty: its database is replaced",
        )

    def handle(
        self, *args: object, path: str, force: bool, verbosity: int, **options: object
    ) -> None:
        try:
            with ExitStack() as stack:
                progress = bars(stack, getattr(self.stderr, "_out", None), verbosity == 0)
                result = restore_backup(Path(path), force=force, progress=progress)
        except PartlyRestored as e:
            raise CommandError(str(e)) from None
        except BackupError as e:
            raise CommandError(f"{e}; nothing was restored") from None
        except Exception as e:
            # A full disk, a storage or bucket that refuses: what was stored is undone
            # (restore_backup removes it), and the cause is said in one line.
            raise CommandError(
                f"the restore failed, nothing was restored: {type(e).__name__}: {e}"
            ) from None
        m = result.manifest
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {m.created} (Lightbox {m.lightbox_version}, "
                f"{m.vendor}): {result.counts.get('cases', 0):,} case(s), "
                f"{result.counts.get('users', 0):,} user(s), {m.counts.get('files', 0):,} file(s)"
                f" ({result.files:,} stored now)."
            )
        )
        if result.migrated:
            self.stdout.write("Its database schema was older: migrations were applied.")
