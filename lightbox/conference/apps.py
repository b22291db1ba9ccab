from django.apps import AppConfig


class ConferenceConfig(AppConfig):
    name = "lightbox.conference"
    label = "conference"
