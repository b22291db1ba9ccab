from django.urls import path

from lightbox.accounts import views

urlpatterns = [
    path("accounts/profile/", views.profile, name="lightbox-profile"),
    path("accounts/people/", views.people, name="lightbox-people"),
    path("accounts/people/<int:pk>/role/", views.change_role, name="lightbox-change-role"),
    path("accounts/join/<str:token>/", views.join, name="lightbox-join"),
]
