from django.urls import path

from lightbox.cases import views

urlpatterns = [
    path("", views.home, name="lightbox-home"),
    path("cases/", views.case_list, name="lightbox-case-list"),
    path("cases/<str:number>/", views.case_detail, name="lightbox-case-detail"),
    path("cases/<str:number>/known/", views.case_known, name="lightbox-case-known"),
    path("cases/<str:number>/print/", views.case_print, name="lightbox-case-print"),
    path("cases/<str:number>/similar/", views.case_similar, name="lightbox-case-similar"),
    path("browse/anatomy/", views.browse_fields, name="lightbox-browse-fields"),
    path("browse/anatomy/<str:field>/", views.browse_field, name="lightbox-browse-field"),
    path(
        "browse/anatomy/<str:field>/<str:category>/",
        views.browse_category,
        name="lightbox-browse-category",
    ),
    path(
        "browse/modality/<str:modality>/", views.browse_modality, name="lightbox-browse-modality"
    ),
    path("series/<str:prefix>/", views.series_detail, name="lightbox-series-detail"),
    path("topics/", views.topic_list, name="lightbox-topic-list"),
    path("topics/<slug:slug>/", views.topic_detail, name="lightbox-topic-detail"),
    path("healthz", views.healthz, name="lightbox-healthz"),
]
