from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "lightbox.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.contrib.auth import signals

        from lightbox.audit import signals as handlers

        # dispatch_uid: connected once however often ready() runs.
        signals.user_logged_in.connect(handlers.signed_in, dispatch_uid="audit-sign-in")
        signals.user_logged_out.connect(handlers.signed_out, dispatch_uid="audit-sign-out")
        signals.user_login_failed.connect(
            handlers.sign_in_failed, dispatch_uid="audit-sign-in-failed"
        )
