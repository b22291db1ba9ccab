from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "lightbox.interchange"
    label = "interchange"
