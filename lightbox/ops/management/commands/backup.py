"""python manage.py backup OUT

Write the whole install into one archive: the database, every stored file, the secrets
and a manifest with each member's SHA-256. Safe while Lightbox runs. The archive holds
SECRET_KEY and DEID_SECRET: keep it where only administrators can read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from lightbox.ops.backup import BackupError, create_backup


def bars(
    stack: ExitStack, stream: object, quiet: bool
) -> Callable[[str, int | None], Callable[[int], object]]:
    """A progress callback that opens one tqdm bar per step (bytes for the database,
    files for storage), closed when ``stack`` is."""

    def open_bar(desc: str, total: int | None) -> Callable[[int], object]:
        byte_step = desc in ("Database", "Checking")
        bar = stack.enter_context(
            tqdm(
                total=total,
                desc=desc,
                unit="B" if byte_step else "file",
                unit_scale=byte_step,
                file=stream,  # type: ignore[arg-type]
                disable=True if quiet else None,
            )
        )
        return bar.update

    return open_bar


def _lines(counts: dict[str, int]) -> Iterator[str]:
    for what, n in counts.items():
        yield f"{n:,} {what.replace('_', ' ')}"


class Command(BaseCommand):
    help = "Back up the database, every stored file and the secrets into one archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", metavar="OUT", help="the archive to write (a new file, .tar)")

    def handle(self, *args: object, out: str, verbosity: int, **options: object) -> None:
        try:
            with ExitStack() as stack:
                # tqdm redraws with "\r": the bar goes to the stream OutputWrapper wraps.
                progress = bars(stack, getattr(self.stderr, "_out", None), verbosity == 0)
                result = create_backup(Path(out), progress=progress)
        except BackupError as e:
            raise CommandError(str(e)) from None
        except Exception as e:
            # A full disk, a storage or bucket that refuses: the partial archive is
            # removed (create_backup's clean-up), and the cause is said in one line.
            raise CommandError(
                f"the backup failed, nothing was written: {type(e).__name__}: {e}"
            ) from None
        for name in result.vanished:
            self.stderr.write(f"deleted while the backup ran, not in it: {name}")
        counts = result.manifest.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {counts.get('cases', 0):,} case(s), {counts.get('users', 0):,} "
                f"user(s) and {counts.get('files', 0):,} file(s) to {result.path} "
                f"({result.bytes:,} bytes, {result.manifest.vendor})."
            )
        )
        self.stdout.write(
            "It holds SECRET_KEY and DEID_SECRET: keep it where only administrators can read it."
        )
