from django.urls import path

from lightbox.ops import views

urlpatterns = [
    path("favicon.ico", views.favicon, name="lightbox-favicon"),
    path("healthz", views.healthz, name="lightbox-healthz"),
    path("readyz", views.readyz, name="lightbox-readyz"),
    path("metrics", views.metrics_view, name="lightbox-metrics"),
]
