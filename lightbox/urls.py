from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("lightbox.cases.urls")),
    path("", include("lightbox.ops.urls")),
    path("", include("lightbox.imaging.urls")),
    path("", include("lightbox.comments.urls")),
    path("", include("lightbox.history.urls")),
    path("", include("lightbox.search.urls")),
    path("", include("lightbox.learning.urls")),
    path("", include("lightbox.conference.urls")),
    path("", include("lightbox.audit.urls")),
    path("", include("lightbox.accounts.urls")),
    path("", include("lightbox.interchange.pdf.urls")),
    path("", include("lightbox.interchange.urls")),
    path("", include("lightbox.api.token_urls")),
    path("api/v1/", include("lightbox.api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # One sign-in page for everyone, throttled and audited.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="lightbox-admin-login",
    ),
    path("admin/", admin.site.urls),
]
