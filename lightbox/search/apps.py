from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


def check_similar_weights(**kwargs: Any) -> list[checks.CheckMessage]:
    from lightbox.search.similar import WEIGHTS

    unknown = sorted(set(settings.LIGHTBOX_SIMILAR_WEIGHTS) - set(WEIGHTS))
    if not unknown:
        return []
    return [
        checks.Error(
            f"LIGHTBOX_SIMILAR_WEIGHTS names {', '.join(unknown)}, which similar-case "
            "scoring does not have.",
            hint="The parts are: " + ", ".join(WEIGHTS),
            id="lightbox.E201",
        )
    ]


class SearchConfig(AppConfig):
    name = "lightbox.search"
    label = "search"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from lightbox.search import checks as _checks  # noqa: F401 - registers the RUM check
        from lightbox.search import index, mirror, registry

        # Each app says what it makes searchable in its own search.py (netbox-style).
        checks.register(check_similar_weights)
        registry.autodiscover()
        index.connect_signals()
        mirror.install()
        post_migrate.connect(index.after_migrate, sender=self, dispatch_uid="search-schema")
