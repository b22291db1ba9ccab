"""Every account has a profile: made as the account is saved (connected in
:meth:`lightbox.accounts.apps.AccountsConfig.ready`)."""

from __future__ import annotations

from typing import Any

from lightbox.accounts.models import Profile, Role


def ensure_profile(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kw: Any
) -> None:
    """Every account has a profile; a superuser's says administrator."""
    if raw:
        return
    role = Role.ADMIN if instance.is_superuser else Role.LEARNER
    profile, made = Profile.objects.get_or_create(user=instance, defaults={"role": role})
    if not made and instance.is_superuser and profile.role != Role.ADMIN:
        Profile.objects.filter(pk=profile.pk).update(role=Role.ADMIN)
