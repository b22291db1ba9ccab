from django.urls import path, re_path

import lightbox.cases.converters  # noqa: F401  (registers <case:…>)
from lightbox.learning import views

urlpatterns = [
    path("cases/<case:number>/answer/", views.case_answer, name="lightbox-case-answer"),
    path("cases/<case:number>/results/", views.case_results, name="lightbox-case-results"),
    path(
        "cases/<case:number>/results/overrule/",
        views.case_overrule,
        name="lightbox-case-overrule",
    ),
    path("learn/", views.learn, name="lightbox-learn"),
    path(
        "learn/answers/<int:pk>/grade/",
        views.attempt_self_grade,
        name="lightbox-attempt-self-grade",
    ),
    path("learn/sessions/new/", views.session_new, name="lightbox-session-new"),
    path("learn/sessions/<int:pk>/", views.session_resume, name="lightbox-session"),
    path(
        "learn/sessions/<int:pk>/<int:position>/",
        views.session_case,
        name="lightbox-session-case",
    ),
    path(
        "learn/sessions/<int:pk>/summary/",
        views.session_summary,
        name="lightbox-session-summary",
    ),
    path("learn/progress/", views.my_progress, name="lightbox-progress"),
    # A user name as Django's validator allows them (letters, digits and @.+-_): nothing
    # else reaches the database (PostgreSQL refuses a NUL in any text).
    re_path(
        r"^learn/progress/(?P<username>[\w.@+-]{1,150})/$",
        views.reader_progress,
        name="lightbox-progress-reader",
    ),
    path("learn/difficulty/", views.difficulty_report, name="lightbox-difficulty"),
]
