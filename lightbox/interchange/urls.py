from django.urls import path

import lightbox.cases.converters  # noqa: F401  (registers <case:…>)
from lightbox.interchange import views

urlpatterns = [
    path("cases/import/mirc/", views.import_mirc, name="lightbox-import-mirc"),
    path(
        "cases/<case:number>/export/mirc.zip",
        views.export_mirc,
        name="lightbox-case-export-mirc",
    ),
]
