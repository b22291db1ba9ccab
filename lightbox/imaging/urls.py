from django.urls import path

from lightbox.imaging import views

urlpatterns = [
    path("cases/<str:number>/images/<int:pk>/", views.image_view, name="lightbox-image-view"),
    path(
        "cases/<str:number>/images/<int:pk>/<str:kind>",
        views.image_file,
        name="lightbox-image-file",
    ),
]
