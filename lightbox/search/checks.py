"""The system check for search on PostgreSQL: the full-text index is a RUM index.

Without the ``rum`` extension search still works, on a GIN index, and finds exactly the
same cases; but a phrase of common words (``"follow up"``) makes PostgreSQL read every
document holding both words to check their positions, which at 100,000 cases takes
longer than the search time limit (see :class:`lightbox.search.backends.PostgresBackend`
and docs/search.md). The check says why RUM is not used and how to get it.

It reads the database, so it is tagged ``database``: ``migrate`` runs it, as does
``manage.py check --database default``.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DatabaseError, connections

__all__ = ["check_rum_index"]

ID = "lightbox.W201"
INSTALL = (
    "Install the extension's package for your PostgreSQL server (Debian and Ubuntu: "
    "apt-get install postgresql-{major}-rum; elsewhere see "
    "https://github.com/postgrespro/rum), then run `python manage.py migrate`, which "
    "rebuilds the search index with it."
)


@register(Tags.database)
def check_rum_index(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    if not databases or "default" not in databases:
        return []
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return []
    from lightbox.search.backends import PostgresBackend, rum_status

    try:
        if PostgresBackend().uses_rum():
            return []
        with connection.cursor() as cur:
            available, created = rum_status(cur)
            cur.execute("SELECT current_setting('server_version_num')::int / 10000")
            major = cur.fetchone()[0]
    except DatabaseError:  # not reachable, or not migrated: other checks and migrate say so
        return []
    slow = (
        "Search on PostgreSQL uses a GIN index: phrases of common words are slow "
        "(up to the search time limit at 100,000 cases)"
    )
    if not available:
        return [
            Warning(
                f"{slow}. The server has no RUM extension.",
                hint=INSTALL.format(major=major),
                id=ID,
            )
        ]
    if not created:
        return [
            Warning(
                f"{slow}. The RUM extension is installed on the server but not created in "
                "this database, and Lightbox's database role may not create it.",
                hint="As a superuser: CREATE EXTENSION rum; in this database, then run "
                "`python manage.py migrate`, which rebuilds the search index with it.",
                id=ID,
            )
        ]
    return [
        Warning(
            f"{slow}. The RUM extension is ready but the index was built without it.",
            hint="Run `python manage.py migrate`, which rebuilds the search index with it.",
            id=ID,
        )
    ]
