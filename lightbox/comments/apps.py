from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "lightbox.comments"
    label = "comments"
