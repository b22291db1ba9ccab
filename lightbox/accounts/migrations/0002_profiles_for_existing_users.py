"""Accounts made before roles existed get a profile: superusers become administrators,
staff (who were the editors) editors, everyone else a learner."""

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Profile = apps.get_model("accounts", "Profile")
    for user in User.objects.filter(profile__isnull=True):
        role = "admin" if user.is_superuser else "editor" if user.is_staff else "learner"
        Profile.objects.create(user=user, role=role)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
