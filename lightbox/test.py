"""Personas and builders shared by every test.

alice is an author, bob a learner, charlie an outsider (an author with no link to the
case), erin an editor and root an administrator.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from PIL import Image as PILImage

from lightbox.cases.models import Case, CaseAuthor, Radiopharmaceutical, Series, Topic

PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str = "learner", **extra: Any) -> User:
    from lightbox.accounts.models import Profile

    user = User.objects.create_user(
        username, f"{username}@example.org", PASSWORD, first_name=username.title(), **extra
    )
    Profile.objects.filter(user=user).update(role=role)
    return user


def personas() -> dict[str, User]:
    return {
        "alice": make_user("alice", "author"),
        "bob": make_user("bob", "learner"),
        "charlie": make_user("charlie", "author"),
        "erin": make_user("erin", "editor"),
        "root": make_user("root", "admin", is_superuser=True, is_staff=True),
    }


def make_series(prefix: str = "bs", name: str = "Bone scintigraphy") -> Series:
    series, _ = Series.objects.get_or_create(prefix=prefix, defaults={"name": name})
    return series


def make_topic(title: str = "Bone Scintigraphy", field: str = "4", category: str = "5") -> Topic:
    topic, _ = Topic.objects.get_or_create(
        title=title,
        defaults={
            "anatomic_field": field,
            "category": category,
            "discussion": "Bone-seeking tracers show osteoblastic activity.",
            "references": [{"text": "A textbook of scintigraphy.", "pmid": "", "doi": ""}],
        },
    )
    return topic


def make_case(series: Series | None = None, **fields: Any) -> Case:
    """A published, public nuclear-medicine case with every section filled."""
    defaults: dict[str, Any] = {
        "title": "Diffuse soft-tissue uptake",
        "case_date": dt.date(2024, 3, 14),
        "difficulty": 3,
        "quality": 4,
        "modality": "NM",
        "exam": "Whole-body bone scintigraphy",
        "patient_age": 51,
        "patient_sex": "F",
        "brief_history": "Woman with a long history of connective tissue disease.",
        "full_history": "Woman with connective tissue disease and firm skin nodules.",
        "findings": "Tracer uptake in the soft tissues of both thighs and arms.",
        "diagnosis": "Dystrophic soft-tissue calcification",
        "discussion": "Calcium deposits in damaged tissue take up bone tracers.",
        "followup": "Treated medically.",
        "differential": ["Dermatomyositis", "Scleroderma", "Hypercalcaemia"],
        "references": [{"text": "Doe J. Soft-tissue uptake.", "pmid": "123", "doi": ""}],
        "acr_codes": ["4.5"],
        "keywords": ["calcinosis"],
        "copyright": "Lightbox test institution",
        "status": "published",
        "visibility": "public",
    }
    defaults.update(fields)
    case = Case.objects.create(series=series or make_series(), **defaults)
    return case


def add_people(case: Case, *names: tuple[str, str]) -> None:
    for order, (name, credentials) in enumerate(names):
        CaseAuthor.objects.create(case=case, order=order, name=name, credentials=credentials)


def add_dose(case: Case, agent: str = "Tc-99m MDP", activity: str = "20", unit: str = "mCi"):
    return Radiopharmaceutical.objects.create(
        case=case, agent=agent, activity=Decimal(activity), unit=unit, route="i.v."
    )


def png_bytes(size: tuple[int, int] = (64, 32), color: int = 128) -> bytes:
    out = io.BytesIO()
    PILImage.new("L", size, color).save(out, "PNG")
    return out.getvalue()


def text_of(html: str) -> str:
    """A page's visible text on one line: tags dropped, whitespace collapsed."""
    import re
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()).replace(" ,", ",")


class Named(io.BytesIO):
    """Bytes with a file name, as an uploaded file arrives."""

    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(data)
        self.name = name


class Nobody:
    """An anonymous uploader (the command line and tests)."""

    is_authenticated = False
