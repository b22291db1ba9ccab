from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "lightbox.learning"
    label = "learning"
