from django.urls import path

import lightbox.cases.converters  # noqa: F401  (registers <case:…>)
from lightbox.comments import views

urlpatterns = [
    path("cases/<case:number>/comments/", views.case_comments, name="lightbox-case-comments"),
    path("cases/<case:number>/comments/add/", views.add_comment, name="lightbox-comment-add"),
    path(
        "cases/<case:number>/comments/<int:pk>/edit/",
        views.edit_comment,
        name="lightbox-comment-edit",
    ),
    path(
        "cases/<case:number>/comments/<int:pk>/delete/",
        views.delete_comment,
        name="lightbox-comment-delete",
    ),
    path(
        "cases/<case:number>/comments/<int:pk>/hide/",
        views.hide_comment,
        name="lightbox-comment-hide",
    ),
    path(
        "cases/<case:number>/comments/<int:pk>/restore/",
        views.restore_comment,
        name="lightbox-comment-restore",
    ),
]
