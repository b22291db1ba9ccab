from django.urls import path

from lightbox.comments import views

urlpatterns = [
    path("cases/<str:number>/comments/", views.case_comments, name="lightbox-case-comments"),
    path("cases/<str:number>/comments/add/", views.add_comment, name="lightbox-comment-add"),
    path(
        "cases/<str:number>/comments/<int:pk>/edit/",
        views.edit_comment,
        name="lightbox-comment-edit",
    ),
    path(
        "cases/<str:number>/comments/<int:pk>/delete/",
        views.delete_comment,
        name="lightbox-comment-delete",
    ),
    path(
        "cases/<str:number>/comments/<int:pk>/hide/",
        views.hide_comment,
        name="lightbox-comment-hide",
    ),
    path(
        "cases/<str:number>/comments/<int:pk>/restore/",
        views.restore_comment,
        name="lightbox-comment-restore",
    ),
]
