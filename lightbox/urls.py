from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("lightbox.cases.urls")),
    path("", include("lightbox.imaging.urls")),
    path("api/v1/", include("lightbox.api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
