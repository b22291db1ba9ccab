from django.urls import path

import lightbox.cases.converters  # noqa: F401  (registers <case:…>)
from lightbox.cases import browse_views, edit_views, views

urlpatterns = [
    path("", browse_views.home, name="lightbox-home"),
    path("cases/", browse_views.case_list, name="lightbox-case-list"),
    path("cases/new/", edit_views.case_new, name="lightbox-case-new"),
    path("review/", edit_views.review_queue, name="lightbox-review-queue"),
    path("preview/markdown/", edit_views.markdown_preview, name="lightbox-markdown-preview"),
    path("cases/<case:number>/", views.case_detail, name="lightbox-case-detail"),
    path("cases/<case:number>/known/", views.case_known, name="lightbox-case-known"),
    path("cases/<case:number>/print/", views.case_print, name="lightbox-case-print"),
    path("cases/<case:number>/edit/", edit_views.case_edit, name="lightbox-case-edit"),
    path(
        "cases/<case:number>/edit/autosave/",
        edit_views.case_autosave,
        name="lightbox-case-autosave",
    ),
    path(
        "cases/<case:number>/edit/discard-draft/",
        edit_views.case_discard_draft,
        name="lightbox-case-discard-draft",
    ),
    path(
        "cases/<case:number>/identifiers/",
        edit_views.case_acknowledge,
        name="lightbox-case-acknowledge",
    ),
    path(
        "cases/<case:number>/workflow/<str:action>/",
        edit_views.case_transition,
        name="lightbox-case-transition",
    ),
    path("browse/anatomy/", browse_views.browse_fields, name="lightbox-browse-fields"),
    path("browse/anatomy/<str:field>/", browse_views.browse_field, name="lightbox-browse-field"),
    path(
        "browse/anatomy/<str:field>/<str:category>/",
        browse_views.browse_category,
        name="lightbox-browse-category",
    ),
    path(
        "browse/modality/<str:modality>/",
        browse_views.browse_modality,
        name="lightbox-browse-modality",
    ),
    path("browse/acr/<str:code>/", browse_views.browse_acr, name="lightbox-browse-acr"),
    path("keywords/", browse_views.keyword_list, name="lightbox-keyword-list"),
    # <path:…>: keywords such as "PET/CT" hold a slash.
    path(
        "keywords/<path:keyword>/",
        browse_views.keyword_detail,
        name="lightbox-keyword-detail",
    ),
    path("series/<str:prefix>/", browse_views.series_detail, name="lightbox-series-detail"),
    path("topics/", browse_views.topic_list, name="lightbox-topic-list"),
    path("topics/new/", edit_views.topic_edit, name="lightbox-topic-new"),
    path("topics/<slug:slug>/edit/", edit_views.topic_edit, name="lightbox-topic-edit"),
    path("topics/<slug:slug>/", browse_views.topic_detail, name="lightbox-topic-detail"),
]
