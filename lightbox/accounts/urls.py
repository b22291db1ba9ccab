from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from lightbox.accounts import views

urlpatterns = [
    # Before django.contrib.auth.urls: the e-mail names the product, not the host.
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(
            extra_email_context={"product_name": settings.SITE_NAME}
        ),
        name="password_reset",
    ),
    path("accounts/profile/", views.profile, name="lightbox-profile"),
    path("accounts/people/", views.people, name="lightbox-people"),
    path("accounts/people/<int:pk>/role/", views.change_role, name="lightbox-change-role"),
    path("accounts/join/<str:token>/", views.join, name="lightbox-join"),
]
