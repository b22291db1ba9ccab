from django.urls import path

import lightbox.cases.converters  # noqa: F401  (registers <case:…>)
from lightbox.imaging import inbox_views, views

urlpatterns = [
    path(
        "cases/<case:number>/review/", views.pixel_review_list, name="lightbox-pixel-review-list"
    ),
    path(
        "cases/<case:number>/images/<int:pk>/review/",
        views.pixel_review,
        name="lightbox-pixel-review",
    ),
    path("cases/<case:number>/images/add/", views.upload_images, name="lightbox-upload"),
    path("uploads/<uuid:upload_id>/", views.upload_status, name="lightbox-upload-status"),
    path("inbox/", inbox_views.inbox, name="lightbox-inbox"),
    path("inbox/<int:pk>/claim/", inbox_views.inbox_claim, name="lightbox-inbox-claim"),
    path("cases/<case:number>/images/<int:pk>/", views.image_view, name="lightbox-image-view"),
    path(
        "cases/<case:number>/images/<int:pk>/manifest.json",
        views.image_manifest,
        name="lightbox-image-manifest",
    ),
    path(
        "cases/<case:number>/images/<int:pk>/series.zip",
        views.series_zip,
        name="lightbox-series-zip",
    ),
    path(
        "cases/<case:number>/instances/<int:pk>.dcm",
        views.instance_file,
        name="lightbox-instance-file",
    ),
    path(
        "cases/<case:number>/instances/<int:pk>/frames/<int:frame>.png",
        views.instance_frame,
        name="lightbox-instance-frame",
    ),
    path(
        "cases/<case:number>/images/<int:pk>/<str:kind>",
        views.image_file,
        name="lightbox-image-file",
    ),
]
