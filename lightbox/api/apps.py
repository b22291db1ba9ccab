from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "lightbox.api"
    label = "api"
