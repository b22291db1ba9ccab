from django.urls import path

from lightbox.audit import views

urlpatterns = [
    # Replaces django.contrib.auth's login: this URLconf is included before theirs.
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("audit/", views.audit_list, name="lightbox-audit-list"),
    path("audit/<int:pk>/", views.audit_detail, name="lightbox-audit-detail"),
]
