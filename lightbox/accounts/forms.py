from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from lightbox.accounts.models import Invitation, Profile, Role


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False, help_text="Used for password resets and notices.")
    credentials = forms.CharField(
        max_length=100, required=False, help_text="e.g. M.D., Ph.D.; shown after your name"
    )
    institution = forms.CharField(max_length=200, required=False)

    @classmethod
    def for_user(cls, user: Any, data: Any = None) -> ProfileForm:
        profile = Profile.objects.get(user=user)
        initial = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "credentials": profile.credentials,
            "institution": profile.institution,
        }
        return cls(data, initial=initial)

    def save(self, user: Any) -> None:
        data = self.cleaned_data
        user.first_name, user.last_name, user.email = (
            data["first_name"],
            data["last_name"],
            data["email"],
        )
        user.save(update_fields=["first_name", "last_name", "email"])
        Profile.objects.filter(user=user).update(
            credentials=data["credentials"], institution=data["institution"]
        )


class InvitationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Invitation
        fields = ["email", "role"]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class JoinForm(UserCreationForm):  # type: ignore[type-arg]
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined,misc]
        model = get_user_model()
        fields = ("username", "first_name", "last_name")
