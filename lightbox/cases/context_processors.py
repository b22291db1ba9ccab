from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from lightbox.accounts.roles import role_of


def site(request: HttpRequest) -> dict[str, Any]:
    # Not "site_name": Django's sign-in and sign-out views set that to the host name.
    # The role is looked up only when a template asks (the signed-in navigation does).
    user = getattr(request, "user", None)
    return {
        "lightbox_site_name": settings.SITE_NAME,
        "role": SimpleLazyObject(lambda: role_of(user)),
    }
