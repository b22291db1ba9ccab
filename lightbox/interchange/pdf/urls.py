from django.urls import path

import lightbox.cases.converters  # noqa: F401  (registers <case:…>)
from lightbox.interchange.pdf import views

urlpatterns = [
    path("cases/<case:number>/pdf", views.case_pdf, name="lightbox-case-pdf"),
    path("topics/<slug:slug>/pdf", views.topic_pdf, name="lightbox-topic-pdf"),
    path("conferences/<int:pk>/pdf", views.agenda_pdf, name="lightbox-conference-pdf"),
]
