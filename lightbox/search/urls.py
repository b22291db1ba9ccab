from django.urls import path

from lightbox.search import views

urlpatterns = [
    path("search/", views.search_page, name="lightbox-search"),
    path("search/similar/", views.similar_text_page, name="lightbox-search-similar"),
]
