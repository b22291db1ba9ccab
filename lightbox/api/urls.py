from django.urls import path, re_path

# Imported for what it registers on ``api``: the writes (cases, topics, comments,
# workflow). It imports views, so views cannot import it back (no import cycles:
# lightbox/tests/test_layout.py).
import lightbox.api.write_views  # noqa: F401
from lightbox.api.views import api, api_not_found

urlpatterns = [
    path("", api.urls),
    re_path(r"^(?P<rest>.*)$", api_not_found, name="lightbox-api-not-found"),
]
