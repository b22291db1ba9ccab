from django.urls import path, re_path

from lightbox.api.views import api, api_not_found

urlpatterns = [
    path("", api.urls),
    re_path(r"^(?P<rest>.*)$", api_not_found, name="lightbox-api-not-found"),
]
