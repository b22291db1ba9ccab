from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "lightbox.history"
    label = "history"
    verbose_name = "Revisions"
