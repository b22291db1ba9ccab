from django.urls import path

import lightbox.cases.converters  # noqa: F401  (registers <case:…>)
from lightbox.search import views

urlpatterns = [
    path("search/", views.search_page, name="lightbox-search"),
    path("search/similar/", views.similar_text_page, name="lightbox-search-similar"),
    path("cases/<case:number>/similar/", views.case_similar, name="lightbox-case-similar"),
]
