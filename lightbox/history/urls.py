from django.urls import path

import lightbox.cases.converters  # noqa: F401  (registers <case:…>)
from lightbox.history import views

urlpatterns = [
    path("cases/<case:number>/history/", views.case_history, name="lightbox-case-history"),
    path(
        "cases/<case:number>/history/compare/",
        views.case_compare,
        name="lightbox-case-history-compare",
    ),
    path(
        "cases/<case:number>/history/<int:n>/",
        views.case_revision,
        name="lightbox-case-revision",
    ),
    path(
        "cases/<case:number>/history/<int:n>/restore/",
        views.case_revision_restore,
        name="lightbox-case-revision-restore",
    ),
    path(
        "cases/<case:number>/history/redact/",
        views.case_history_redact,
        name="lightbox-case-history-redact",
    ),
    path("topics/<slug:slug>/history/", views.topic_history, name="lightbox-topic-history"),
    path(
        "topics/<slug:slug>/history/compare/",
        views.topic_compare,
        name="lightbox-topic-history-compare",
    ),
    path(
        "topics/<slug:slug>/history/<int:n>/",
        views.topic_revision,
        name="lightbox-topic-revision",
    ),
    path(
        "topics/<slug:slug>/history/<int:n>/restore/",
        views.topic_revision_restore,
        name="lightbox-topic-revision-restore",
    ),
    path(
        "topics/<slug:slug>/history/redact/",
        views.topic_history_redact,
        name="lightbox-topic-history-redact",
    ),
]
