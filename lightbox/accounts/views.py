"""Profile, people and roles, invitations. Who may do what: :mod:`lightbox.accounts.roles`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lightbox.accounts.forms import InvitationForm, JoinForm, ProfileForm, RoleForm
from lightbox.accounts.models import Invitation, Profile
from lightbox.accounts.roles import can_manage_people
from lightbox.audit.log import record
from lightbox.lib.http import AuthenticatedHttpRequest

INVITE_SALT = "lightbox.accounts.invitation"


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm.for_user(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        form.save(request.user)
        messages.success(request, "Your profile is saved.")
        return redirect("lightbox-profile")
    role = Profile.objects.get(user=request.user).get_role_display()
    return render(request, "accounts/profile.html", {"form": form, "role": role})


def _manager(request: HttpRequest) -> None:
    if not can_manage_people(request.user):
        raise Http404("No such page.")


@login_required
@require_http_methods(["GET", "POST"])
def people(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everyone with an account and their role; invitations sent and pending."""
    _manager(request)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitation = form.save(commit=False)
        invitation.invited_by = request.user
        invitation.save()
        _send_invitation(request, invitation)
        record(
            "invite",
            request=request,
            target_type="invitation",
            target_id=str(invitation.pk),
            target_label=invitation.email,
            summary=f"invited {invitation.email} as {invitation.get_role_display()}",
            role=invitation.role,
        )
        messages.success(request, f"Invitation sent to {invitation.email}.")
        return redirect("lightbox-people")
    users = get_user_model().objects.select_related("profile").order_by("username")
    invitations = Invitation.objects.select_related("invited_by")[:50]
    context = {"users": users, "form": form, "invitations": invitations, "roles": RoleForm()}
    return render(request, "accounts/people.html", context)


@login_required
@require_POST
def change_role(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    user = get_object_or_404(get_user_model(), pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("lightbox-people")
    if user.is_superuser:
        messages.error(request, f"{user.get_username()} is a superuser: always an administrator.")
        return redirect("lightbox-people")
    profile = Profile.objects.get(user=user)
    old, new = profile.role, form.cleaned_data["role"]
    if old != new:
        profile.role = new
        profile.save(update_fields=["role"])
        record(
            "role_change",
            request=request,
            target=user,
            summary=f"{user.get_username()}: {old} → {new}",
            old=old,
            new=new,
        )
        messages.success(request, f"{user.get_username()} is now {profile.get_role_display()}.")
    return redirect("lightbox-people")


def _send_invitation(request: AuthenticatedHttpRequest, invitation: Invitation) -> None:
    token = signing.dumps(invitation.pk, salt=INVITE_SALT)
    url = request.build_absolute_uri(reverse("lightbox-join", args=[token]))
    inviter = request.user.get_full_name() or request.user.get_username()
    send_mail(
        f"Invitation to {settings.SITE_NAME}",
        f"{inviter} invites you to {settings.SITE_NAME} as {invitation.get_role_display()}.\n\n"
        f"Make your account here (the link works once, until "
        f"{invitation.expires:%d %B %Y}):\n{url}\n",
        None,
        [invitation.email],
    )


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: choose a user name and password; signed in at once."""
    try:
        pk = signing.loads(token, salt=INVITE_SALT)
    except signing.BadSignature:
        raise Http404("No such invitation.") from None
    invitation = get_object_or_404(Invitation, pk=pk)
    if not invitation.usable:
        return render(request, "accounts/join.html", {"invitation": invitation}, status=410)
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save(commit=False)
            user.email = invitation.email
            user.save()
            Profile.objects.filter(user=user).update(role=invitation.role)
            Invitation.objects.filter(pk=invitation.pk).update(
                accepted_at=timezone.now(), accepted_by=user
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        record(
            "create",
            request=request,
            target=user,
            summary=f"joined by invitation as {invitation.get_role_display()}",
        )
        messages.success(request, f"Welcome, {user.first_name}.")
        return redirect("lightbox-home")
    context: dict[str, Any] = {"invitation": invitation, "form": form}
    return render(request, "accounts/join.html", context)
