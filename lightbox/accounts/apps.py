from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lightbox.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        from lightbox.accounts.signals import ensure_profile

        post_save.connect(ensure_profile, sender=get_user_model(), dispatch_uid="ensure-profile")
