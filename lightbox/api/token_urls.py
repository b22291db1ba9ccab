"""The API token pages: HTML for a signed-in browser, beside the profile (not under /api/,
whose answers are JSON)."""

from django.urls import path

from lightbox.api import token_views

urlpatterns = [
    path("accounts/tokens/", token_views.token_list, name="lightbox-api-tokens"),
    path(
        "accounts/tokens/<int:pk>/revoke/",
        token_views.revoke_token,
        name="lightbox-api-token-revoke",
    ),
]
