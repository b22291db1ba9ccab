from django.urls import path

from lightbox.ops import views

urlpatterns = [
    path("healthz", views.healthz, name="lightbox-healthz"),
]
