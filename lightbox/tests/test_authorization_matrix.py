"""Every URL × every kind of person, with the exact status expected.

The people: anonymous, a learner (bob), the case's author (alice), another author
(charlie), an editor (erin), an administrator (root). The objects: a *draft, private* case
of alice's — the one that must leak to nobody — with a picture, a DICOM series, an
upload, comments, revisions, a topic with revisions, an audit entry, and erin's running
conference with the draft on screen and its question open.

Every URL the site serves must appear in ``MATRIX`` or in ``NOT_ABOUT_CASES`` (with the
reason it touches no case, topic, image, upload, comment, revision or audit entry): a new
URL that is in neither fails :func:`test_every_url_is_in_the_matrix`.

Each request runs in a transaction that is rolled back, so a POST that succeeds (a
transition, a comment) does not change what the next person sees.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pydicom
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from pydicom.data import get_testdata_file

from lightbox.api.models import ApiToken
from lightbox.audit.log import record as audit
from lightbox.comments.models import Comment
from lightbox.conference.models import Conference
from lightbox.history.revisions import record as revision
from lightbox.imaging import uploads
from lightbox.imaging.images import add_image
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import ReceivedStudy
from lightbox.imaging.uploads import receive
from lightbox.learning.models import Attempt, StudySession
from lightbox.test import Named, make_case, make_topic, png_bytes

pytestmark = pytest.mark.django_db

PEOPLE = ("anonymous", "bob", "alice", "charlie", "erin", "root")

# Shorthands for a row of expected statuses, in PEOPLE order.
LOGIN = 302  # anonymous: sent to the sign-in page


def row(anonymous, learner, owner, other, editor, admin) -> tuple[int, ...]:
    return (anonymous, learner, owner, other, editor, admin)


# Reading the draft case and what hangs off it: its authors, editors and admins only.
CASE_READ = row(404, 404, 200, 404, 200, 200)
CASE_READ_LOGIN = row(LOGIN, 404, 200, 404, 200, 200)
# Changing the draft: the same people; a POST that succeeds redirects.
CASE_POST = row(LOGIN, 404, 302, 404, 302, 302)
EDITORS_GET = row(LOGIN, 404, 404, 404, 200, 200)
EDITORS_POST = row(LOGIN, 404, 404, 404, 302, 302)
ADMINS_GET = row(LOGIN, 404, 404, 404, 404, 200)
ADMINS_POST = row(LOGIN, 404, 404, 404, 404, 302)
EVERYONE = row(200, 200, 200, 200, 200, 200)
SIGNED_IN = row(LOGIN, 200, 200, 200, 200, 200)
AUTHORS_GET = row(LOGIN, 404, 200, 200, 200, 200)
# Alice's own learning record (an answer, a session): nobody else's business.
OWN_GET = row(LOGIN, 404, 200, 404, 404, 404)
OWN_POST = row(LOGIN, 404, 302, 404, 404, 404)
OWN_REDIRECT = OWN_POST


@dataclass(frozen=True)
class Check:
    method: str
    url: str  # formatted with the world's ids
    expected: tuple[int, ...]
    data: dict[str, Any] | None = None
    json: bool = False  # send ``data`` as a JSON body (the API's writes)


MATRIX: dict[str, list[Check]] = {
    # -- reading -----------------------------------------------------------------------
    "lightbox-home": [Check("GET", "/", EVERYONE)],
    "lightbox-case-list": [Check("GET", "/cases/", EVERYONE)],
    "lightbox-case-detail": [Check("GET", "/cases/{case}/", CASE_READ)],
    "lightbox-case-known": [Check("GET", "/cases/{case}/known/", CASE_READ)],
    "lightbox-case-print": [Check("GET", "/cases/{case}/print/", CASE_READ)],
    # The PDFs: exactly who may read the HTML page (lightbox/interchange/pdf).
    "lightbox-case-pdf": [
        Check("GET", "/cases/{case}/pdf", CASE_READ),
        Check("GET", "/cases/{case}/pdf?handout=unknown", CASE_READ),
    ],
    "lightbox-topic-pdf": [Check("GET", "/topics/{topic}/pdf", EVERYONE)],
    "lightbox-case-similar": [Check("GET", "/cases/{case}/similar/", CASE_READ)],
    # The anatomic fields are listed on the home page.
    "lightbox-browse-fields": [
        Check("GET", "/browse/anatomy/", row(302, 302, 302, 302, 302, 302))
    ],
    "lightbox-browse-field": [Check("GET", "/browse/anatomy/4/", EVERYONE)],
    "lightbox-browse-category": [Check("GET", "/browse/anatomy/4/5/", EVERYONE)],
    "lightbox-browse-modality": [Check("GET", "/browse/modality/NM/", EVERYONE)],
    "lightbox-browse-acr": [Check("GET", "/browse/acr/4.5/", EVERYONE)],
    "lightbox-keyword-list": [Check("GET", "/keywords/", EVERYONE)],
    # Only alice's private cases have this keyword: for anyone else it does not exist.
    "lightbox-keyword-detail": [Check("GET", "/keywords/calcinosis/", CASE_READ)],
    "lightbox-series-detail": [Check("GET", "/series/bs/", EVERYONE)],
    # Search finds only what each person may see (see the draft-leak test below).
    "lightbox-search": [Check("GET", "/search/?q=calcinosis", EVERYONE)],
    "lightbox-search-similar": [
        Check("GET", "/search/similar/", EVERYONE),
        Check("POST", "/search/similar/", EVERYONE, {"text": "Changed findings"}),
    ],
    "lightbox-topic-list": [Check("GET", "/topics/", EVERYONE)],
    # -- learning ----------------------------------------------------------------------
    # Answering (and the in-place reveal) is reading the case; only the signed-in answer.
    "lightbox-case-answer": [
        Check("GET", "/cases/{case}/answer/", CASE_READ),
        Check(
            "POST",
            "/cases/{case}/answer/",
            row(404, 404, 302, 404, 302, 302),
            {"diagnosis": "A guess", "confidence": "2"},
        ),
    ],
    # A case's aggregate results and overruling a grade: its authors and the editors.
    "lightbox-case-results": [Check("GET", "/cases/{case}/results/", CASE_READ_LOGIN)],
    "lightbox-case-overrule": [
        Check(
            "POST",
            "/cases/{case}/results/overrule/",
            CASE_POST,
            {"answer": "A guess", "decision": "accept"},
        )
    ],
    "lightbox-learn": [Check("GET", "/learn/", SIGNED_IN)],
    # Alice's own answer and session: hers alone, editors and administrators included.
    "lightbox-attempt-self-grade": [
        Check("POST", "/learn/answers/{attempt}/grade/", OWN_POST, {"right": "yes"})
    ],
    "lightbox-session-new": [
        Check("GET", "/learn/sessions/new/?list=random", SIGNED_IN),
        # No published case in this world: each person is told the list is empty.
        Check(
            "POST",
            "/learn/sessions/new/",
            SIGNED_IN,
            {"source": "list=random", "mode": "unknown", "length": "5"},
        ),
    ],
    "lightbox-session": [Check("GET", "/learn/sessions/{session}/", OWN_REDIRECT)],
    "lightbox-session-case": [Check("GET", "/learn/sessions/{session}/1/", OWN_GET)],
    "lightbox-session-summary": [Check("GET", "/learn/sessions/{session}/summary/", OWN_GET)],
    "lightbox-progress": [Check("GET", "/learn/progress/", SIGNED_IN)],
    # A reader's record: their own, and an editor's (a program director's).
    "lightbox-progress-reader": [Check("GET", "/learn/progress/alice/", CASE_READ_LOGIN)],
    "lightbox-difficulty": [Check("GET", "/learn/difficulty/", EDITORS_GET)],
    "lightbox-topic-detail": [Check("GET", "/topics/{topic}/", EVERYONE)],
    # -- writing cases -----------------------------------------------------------------
    "lightbox-case-new": [
        Check("GET", "/cases/new/", AUTHORS_GET),
        Check("POST", "/cases/new/", row(LOGIN, 404, 302, 302, 302, 302), {"series": "{series}"}),
    ],
    "lightbox-review-queue": [Check("GET", "/review/", AUTHORS_GET)],
    "lightbox-markdown-preview": [
        Check("POST", "/preview/markdown/", row(LOGIN, 404, 200, 200, 200, 200), {"text": "x"})
    ],
    "lightbox-case-edit": [
        Check("GET", "/cases/{case}/edit/", CASE_READ_LOGIN),
        Check("POST", "/cases/{case}/edit/", row(LOGIN, 404, 200, 404, 200, 200), {}),
    ],
    "lightbox-case-autosave": [
        Check("POST", "/cases/{case}/edit/autosave/", row(LOGIN, 404, 200, 404, 200, 200), {})
    ],
    "lightbox-case-discard-draft": [Check("POST", "/cases/{case}/edit/discard-draft/", CASE_POST)],
    "lightbox-case-acknowledge": [Check("POST", "/cases/{case}/identifiers/", CASE_POST)],
    "lightbox-case-transition": [
        Check("POST", "/cases/{case}/workflow/submit/", CASE_POST),
        Check("POST", "/cases/{submitted}/workflow/publish/", row(LOGIN, 404, 302, 404, 302, 302)),
    ],
    "lightbox-topic-new": [Check("GET", "/topics/new/", EDITORS_GET)],
    "lightbox-topic-edit": [
        Check("GET", "/topics/{topic}/edit/", EDITORS_GET),
        Check("POST", "/topics/{topic}/edit/", row(LOGIN, 404, 404, 404, 200, 200), {}),
    ],
    # -- interchange -------------------------------------------------------------------
    # Importing makes new cases: whoever may create one. Sent without a file, the page
    # says what is missing.
    "lightbox-import-mirc": [
        Check("GET", "/cases/import/mirc/", AUTHORS_GET),
        Check("POST", "/cases/import/mirc/", row(LOGIN, 404, 200, 200, 200, 200), {}),
    ],
    # Exporting is reading: the whole case, answer included, as its known page shows it.
    "lightbox-case-export-mirc": [Check("GET", "/cases/{case}/export/mirc.zip", CASE_READ)],
    # -- images and uploads ------------------------------------------------------------
    "lightbox-pixel-review-list": [Check("GET", "/cases/{case}/review/", CASE_READ_LOGIN)],
    "lightbox-pixel-review": [
        Check("GET", "/cases/{case}/images/{picture}/review/", CASE_READ_LOGIN),
        Check(
            "POST",
            "/cases/{case}/images/{picture}/review/",
            CASE_POST,
            {"action": "confirm"},
        ),
    ],
    "lightbox-upload": [
        Check("GET", "/cases/{case}/images/add/", CASE_READ_LOGIN),
        Check("POST", "/cases/{case}/images/add/", row(LOGIN, 404, 200, 404, 200, 200), {}),
    ],
    "lightbox-upload-status": [Check("GET", "/uploads/{upload}/", CASE_READ_LOGIN)],
    # Studies received from the PACS: any author sees the inbox (never alice's draft) and
    # may claim a study waiting there; a learner may do neither.
    "lightbox-inbox": [Check("GET", "/inbox/", AUTHORS_GET)],
    "lightbox-inbox-claim": [
        Check("POST", "/inbox/{received}/claim/", row(LOGIN, 404, 302, 302, 302, 302)),
        # alice's own received study: not waiting, and nobody else's business.
        Check("POST", "/inbox/{alices_received}/claim/", row(LOGIN, 404, 302, 404, 302, 302)),
    ],
    "lightbox-image-view": [Check("GET", "/cases/{case}/images/{picture}/", CASE_READ)],
    "lightbox-image-manifest": [
        Check("GET", "/cases/{case}/images/{picture}/manifest.json", CASE_READ)
    ],
    "lightbox-series-zip": [
        Check("GET", "/cases/{case}/images/{dicom_image}/series.zip", CASE_READ)
    ],
    "lightbox-instance-file": [Check("GET", "/cases/{case}/instances/{instance}.dcm", CASE_READ)],
    "lightbox-instance-frame": [
        Check("GET", "/cases/{case}/instances/{instance}/frames/1.png", CASE_READ)
    ],
    "lightbox-image-file": [
        Check("GET", "/cases/{case}/images/{picture}/full", CASE_READ),
        Check("GET", "/cases/{case}/images/{picture}/thumb", CASE_READ),
    ],
    # -- comments ----------------------------------------------------------------------
    "lightbox-case-comments": [Check("GET", "/cases/{case}/comments/", CASE_READ)],
    "lightbox-comment-add": [
        Check("POST", "/cases/{case}/comments/add/", CASE_POST, {"body": "A comment."})
    ],
    "lightbox-comment-edit": [
        # alice's own comment: only she may edit it.
        Check(
            "GET", "/cases/{case}/comments/{comment}/edit/", row(LOGIN, 404, 200, 404, 404, 404)
        ),
        Check(
            "POST",
            "/cases/{case}/comments/{comment}/edit/",
            row(LOGIN, 404, 302, 404, 404, 404),
            {"body": "Edited."},
        ),
    ],
    "lightbox-comment-delete": [
        Check(
            "POST", "/cases/{case}/comments/{comment}/delete/", row(LOGIN, 404, 302, 404, 404, 404)
        )
    ],
    "lightbox-comment-hide": [
        Check(
            "POST",
            "/cases/{case}/comments/{comment}/hide/",
            row(LOGIN, 404, 404, 404, 302, 302),
            {"reason": "Off topic"},
        )
    ],
    "lightbox-comment-restore": [
        Check(
            "POST",
            "/cases/{case}/comments/{hidden_comment}/restore/",
            row(LOGIN, 404, 404, 404, 302, 302),
        )
    ],
    # -- revisions ---------------------------------------------------------------------
    "lightbox-case-history": [Check("GET", "/cases/{case}/history/", CASE_READ_LOGIN)],
    "lightbox-case-history-compare": [
        Check("GET", "/cases/{case}/history/compare/?a=1&b=2", CASE_READ_LOGIN)
    ],
    "lightbox-case-revision": [Check("GET", "/cases/{case}/history/1/", CASE_READ_LOGIN)],
    "lightbox-case-revision-restore": [
        Check("GET", "/cases/{case}/history/1/restore/", CASE_READ_LOGIN),
        Check("POST", "/cases/{case}/history/1/restore/", CASE_POST),
    ],
    # Redaction is the editors' and administrators', not the case's authors'. The text is
    # in revision 1 and no longer in the case or topic (see world).
    "lightbox-case-history-redact": [
        Check("GET", "/cases/{case}/history/redact/", EDITORS_GET),
        Check(
            "POST",
            "/cases/{case}/history/redact/",
            EDITORS_POST,
            {"text": "both thighs", "confirm": "yes"},
        ),
    ],
    "lightbox-topic-history-redact": [
        Check("GET", "/topics/{topic}/history/redact/", EDITORS_GET),
        Check(
            "POST",
            "/topics/{topic}/history/redact/",
            EDITORS_POST,
            {"text": "osteoblastic activity", "confirm": "yes"},
        ),
    ],
    "lightbox-topic-history": [Check("GET", "/topics/{topic}/history/", EDITORS_GET)],
    "lightbox-topic-history-compare": [
        Check("GET", "/topics/{topic}/history/compare/?a=1&b=2", EDITORS_GET)
    ],
    "lightbox-topic-revision": [Check("GET", "/topics/{topic}/history/1/", EDITORS_GET)],
    "lightbox-topic-revision-restore": [
        Check("GET", "/topics/{topic}/history/1/restore/", EDITORS_GET),
        Check("POST", "/topics/{topic}/history/1/restore/", EDITORS_POST),
    ],
    # -- API tokens: one's own; alice's may be revoked by her and by administrators ------
    "lightbox-api-tokens": [
        Check("GET", "/accounts/tokens/", SIGNED_IN),
        Check("POST", "/accounts/tokens/", SIGNED_IN, {"name": "script", "scope": "read"}),
    ],
    "lightbox-api-token-revoke": [
        Check("POST", "/accounts/tokens/{token}/revoke/", row(LOGIN, 404, 302, 404, 404, 302))
    ],
    # -- audit and people --------------------------------------------------------------
    "lightbox-audit-list": [Check("GET", "/audit/", ADMINS_GET)],
    "lightbox-audit-detail": [Check("GET", "/audit/{audit}/", ADMINS_GET)],
    "lightbox-people": [Check("GET", "/accounts/people/", ADMINS_GET)],
    "lightbox-change-role": [
        Check("POST", "/accounts/people/{bob}/role/", ADMINS_POST, {"role": "author"})
    ],
    # -- conferences: erin's, running, the draft on screen with its question open --------
    # Building and presenting: the editor who owns it and administrators.
    "lightbox-conference-list": [Check("GET", "/conferences/", EDITORS_GET)],
    "lightbox-conference-new": [
        Check("GET", "/conferences/new/", EDITORS_GET),
        Check("POST", "/conferences/new/", EDITORS_POST, {"title": "Friday"}),
    ],
    "lightbox-conference-agenda": [Check("GET", "/conferences/{conference}/", EDITORS_GET)],
    "lightbox-conference-edit": [
        Check("POST", "/conferences/{conference}/edit/", EDITORS_POST, {"title": "Renamed"})
    ],
    "lightbox-conference-agenda-change": [
        Check(
            "POST",
            "/conferences/{conference}/agenda/",
            EDITORS_POST,
            {"action": "add", "number": "{submitted}"},
        )
    ],
    "lightbox-conference-present": [
        Check("GET", "/conferences/{conference}/present/", EDITORS_GET)
    ],
    "lightbox-conference-room": [
        Check("POST", "/conferences/{conference}/room/", EDITORS_POST, {"action": "close"})
    ],
    "lightbox-conference-move": [
        Check("POST", "/conferences/{conference}/move/", EDITORS_POST, {"action": "next"})
    ],
    "lightbox-conference-results": [
        Check("GET", "/conferences/{conference}/results.json", EDITORS_GET)
    ],
    "lightbox-conference-pdf": [
        Check("GET", "/conferences/{conference}/pdf", EDITORS_GET),
        Check("GET", "/conferences/{conference}/pdf?answers=1", EDITORS_GET),
    ],
    # Attending: anyone holding the code of a running conference sees the case on screen
    # as an unknown (the draft, which none of them may open otherwise), and answers.
    "lightbox-conference-join": [
        Check("GET", "/join/", EVERYONE),
        Check("GET", "/join/?code={join_code}", row(302, 302, 302, 302, 302, 302)),
    ],
    "lightbox-conference-attend": [Check("GET", "/join/{join_code}/", EVERYONE)],
    "lightbox-conference-state": [Check("GET", "/join/{join_code}/state.json", EVERYONE)],
    "lightbox-conference-answer": [
        Check(
            "POST",
            "/join/{join_code}/answer/",
            row(302, 302, 302, 302, 302, 302),
            {"answer": "Paget disease"},
        )
    ],
    "lightbox-conference-image": [
        Check("GET", "/join/{join_code}/images/{picture}/full", EVERYONE)
    ],
    # -- the API -----------------------------------------------------------------------
    "list_cases": [Check("GET", "/api/v1/cases", EVERYONE)],
    "get_case": [Check("GET", "/api/v1/cases/{case}", CASE_READ)],
    "get_unknown_case": [Check("GET", "/api/v1/cases/{case}/unknown", CASE_READ)],
    "create_upload": [
        # The API signs in with the session; what one may not see does not exist.
        Check(
            "POST",
            "/api/v1/cases/{case}/uploads",
            row(401, 404, 202, 404, 202, 202),
            {"files": "<a picture>"},
        )
    ],
    "get_upload": [Check("GET", "/api/v1/uploads/{upload}", row(401, 404, 200, 404, 200, 200))],
    # An upload in parts: only the person who opened it adds to it, finishes or cancels it;
    # an editor or administrator who may see it is refused (403), anyone else finds nothing.
    "add_upload_files": [
        Check(
            "POST",
            "/api/v1/uploads/{open_upload}/files",
            row(401, 404, 200, 404, 403, 403),
            {"files": "<a picture>"},
        )
    ],
    "finish_upload": [
        Check("POST", "/api/v1/uploads/{open_upload}/finish", row(401, 404, 202, 404, 403, 403))
    ],
    "cancel_upload": [
        Check("POST", "/api/v1/uploads/{open_upload}/cancel", row(401, 404, 200, 404, 403, 403))
    ],
    # Writing through the API: the same people as on the pages; what one may see but not
    # change is a 403, and a signed-out caller a 401. The world's case and topic are at
    # revision 2.
    "create_case": [
        Check("POST", "/api/v1/cases", row(401, 403, 201, 201, 201, 201), {"series": "bs"}, True)
    ],
    "update_case": [
        Check(
            "PATCH",
            "/api/v1/cases/{case}",
            row(401, 404, 200, 404, 200, 200),
            {"revision": 2, "title": "Changed"},
            True,
        )
    ],
    "transition_case": [
        Check(
            "POST",
            "/api/v1/cases/{case}/transitions",
            row(401, 404, 200, 404, 200, 200),
            {"action": "submit"},
            True,
        ),
        Check(
            "POST",
            "/api/v1/cases/{submitted}/transitions",
            row(401, 404, 403, 404, 200, 200),
            {"action": "publish"},
            True,
        ),
    ],
    "list_topics": [Check("GET", "/api/v1/topics", EVERYONE)],
    "get_topic": [Check("GET", "/api/v1/topics/{topic}", EVERYONE)],
    "create_topic": [
        Check("POST", "/api/v1/topics", row(401, 403, 403, 403, 201, 201), {"title": "New"}, True)
    ],
    "update_topic": [
        Check(
            "PATCH",
            "/api/v1/topics/{topic}",
            row(401, 403, 403, 403, 200, 200),
            {"revision": 2, "title": "Renamed"},
            True,
        )
    ],
    "list_comments": [Check("GET", "/api/v1/cases/{case}/comments", CASE_READ)],
    "add_comment": [
        Check(
            "POST",
            "/api/v1/cases/{case}/comments",
            row(401, 404, 201, 404, 201, 201),
            {"body": "A comment."},
            True,
        )
    ],
    # alice's own comment: she edits and deletes it; editors hide it.
    "change_comment": [
        Check(
            "PATCH",
            "/api/v1/cases/{case}/comments/{comment}",
            row(401, 404, 200, 404, 403, 403),
            {"body": "Edited."},
            True,
        ),
        Check(
            "PATCH",
            "/api/v1/cases/{case}/comments/{comment}",
            row(401, 404, 403, 404, 200, 200),
            {"hidden": True, "reason": "Off topic"},
            True,
        ),
    ],
    "delete_comment": [
        Check(
            "DELETE", "/api/v1/cases/{case}/comments/{comment}", row(401, 404, 204, 404, 403, 403)
        )
    ],
    "search": [Check("GET", "/api/v1/search?q=calcinosis", EVERYONE)],
    "case_similar": [Check("GET", "/api/v1/cases/{case}/similar", CASE_READ)],
    "text_similar": [Check("GET", "/api/v1/similar?text=Changed+findings", EVERYONE)],
}

NOT_ABOUT_CASES = {
    "lightbox-healthz": "the load balancer's probe",
    "lightbox-favicon": "the site's icon, the same for everyone (test_favicon.py)",
    "lightbox-readyz": "readiness verdicts; figures only to a metrics reader (test_readyz.py)",
    "lightbox-metrics": "this machine or the metrics token only (test_metrics.py)",
    "login": "sign-in page (throttled; tested in lightbox/audit)",
    "logout": "sign-out",
    "password_change": "one's own password",
    "password_change_done": "one's own password",
    "password_reset": "password reset by e-mail",
    "password_reset_done": "password reset by e-mail",
    "password_reset_confirm": "password reset by e-mail",
    "password_reset_complete": "password reset by e-mail",
    "lightbox-profile": "one's own profile",
    "lightbox-join": "accepting an invitation (signed token; tested in lightbox/accounts)",
    "openapi-json": "the API's description",
    "openapi-view": "the API's documentation page",
    "api-root": "the API's index",
    "lightbox-api-not-found": "the API's 404 for unknown paths",
    "lightbox-admin-login": "sends Django admin's sign-in to the throttled sign-in page",
}


def _names(patterns, admin_skipped=True):
    for p in patterns:
        if isinstance(p, URLResolver):
            if admin_skipped and str(p.pattern).startswith("admin/"):
                continue  # Django's admin: superusers only, its own permission system
            yield from _names(p.url_patterns)
        elif isinstance(p, URLPattern):
            yield p.name


def test_every_url_is_in_the_matrix():
    names = set(_names(get_resolver().url_patterns))
    unnamed = {n for n in names if not n}
    assert not unnamed, "every URL needs a name to be in the matrix"
    missing = names - set(MATRIX) - set(NOT_ABOUT_CASES)
    assert not missing, f"add these URLs to the authorization matrix: {sorted(missing)}"
    stale = (set(MATRIX) | set(NOT_ABOUT_CASES)) - names
    assert not stale, f"the matrix names URLs that no longer exist: {sorted(stale)}"


@pytest.fixture
def world(people, tmp_path):
    alice, erin = people["alice"], people["erin"]
    topic = make_topic()
    revision(topic, user=erin, kind="created")
    topic.discussion = "Changed."
    topic.save()
    revision(topic, user=erin, kind="edited")
    case = make_case(created_by=alice, status="draft", visibility="private", topic=topic)
    revision(case, user=alice, kind="created")
    case.findings = "Changed findings."
    case.save()
    revision(case, user=alice, kind="edited")
    submitted = make_case(created_by=alice, status="submitted", visibility="private")
    picture = add_image(case, png_bytes(), caption="A picture")
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    upload = receive(case, alice, [Named("ct.dcm", out.getvalue())])
    process_upload(upload.pk)
    open_upload = uploads.open_upload(case, alice)
    uploads.add_files(open_upload, [Named("first.png", png_bytes())])
    dicom_image = case.images.exclude(pk=picture.pk).get()
    instance = dicom_image.series.instances.get()
    comment = Comment.objects.create(case=case, author=alice, body="Alice's comment")
    hidden = Comment.objects.create(
        case=case, author=erin, body="Hidden one", hidden=True, hidden_reason="test"
    )
    entry = audit("edit", actor=alice, target=case, summary="an entry")
    conference = Conference.objects.create(title="Tuesday unknowns", owner=erin)
    conference.add_case(case)
    conference.open_room()
    conference.toggle_question()
    attempt = Attempt.objects.create(user=alice, case=case, answer="A guess", outcome="unsure")
    session = StudySession.objects.create(user=alice, title="Mine", case_ids=[case.pk])
    waiting = make_case(status="draft", visibility="private", title="Received, for nobody")
    received = ReceivedStudy.objects.create(case=waiting, study_uid="2.25.1", calling_ae="CT1")
    alices = ReceivedStudy.objects.create(case=case, study_uid="2.25.2", calling_ae="CT2")
    token, _ = ApiToken.issue(alice, "alice's script", "write")
    return {
        "token": token.pk,
        "received": received.pk,
        "alices_received": alices.pk,
        "conference": conference.pk,
        "join_code": conference.code,
        "case": case.number,
        "submitted": submitted.number,
        "series": case.series_id,
        "topic": topic.slug,
        "picture": picture.pk,
        "dicom_image": dicom_image.pk,
        "instance": instance.pk,
        "upload": upload.pk,
        "open_upload": open_upload.pk,
        "comment": comment.pk,
        "hidden_comment": hidden.pk,
        "audit": entry.pk,
        "bob": people["bob"].pk,
        "attempt": attempt.pk,
        "session": session.pk,
    }


def _request(
    client: Client, check: Check, world: dict[str, Any], headers: dict[str, str] | None = None
) -> int:
    url = check.url.format(**world)
    with transaction.atomic():
        if check.json:
            body = json.dumps(check.data or {})
            response = client.generic(
                check.method, url, body, content_type="application/json", headers=headers
            )
        elif check.method in ("GET", "POST"):
            data = {k: str(v).format(**world) for k, v in (check.data or {}).items()}
            if "files" in data:
                data["files"] = SimpleUploadedFile("picture.png", png_bytes(), "image/png")
            send = client.get if check.method == "GET" else client.post
            response = send(url, data, headers=headers) if data else send(url, headers=headers)
        else:
            response = client.generic(check.method, url, headers=headers)
        transaction.set_rollback(True)
    return response.status_code


def test_every_url_answers_each_person_exactly_as_expected(people, world):
    wrong = []
    for i, person in enumerate(PEOPLE):
        client = Client()
        if person != "anonymous":
            client.force_login(people[person])
        for name, checks in MATRIX.items():
            for check in checks:
                got = _request(client, check, world)
                if got != check.expected[i]:
                    wrong.append(
                        f"{check.method} {check.url} as {person}: {got}, "
                        f"expected {check.expected[i]} ({name})"
                    )
    assert not wrong, "\n".join(wrong)


def test_every_post_needs_a_csrf_token(people, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["root"])
    posts = [c for checks in MATRIX.values() for c in checks if c.method == "POST"]
    assert len(posts) >= 20
    for check in posts:
        if check.url.startswith("/api/"):
            continue  # the API: see test_the_api_refuses_a_session_post_without_csrf
        assert _request(client, check, world) == 403, check.url


def test_the_api_refuses_a_session_post_without_csrf(people, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["alice"])
    response = client.post(f"/api/v1/cases/{world['case']}/uploads", {})
    assert response.status_code in (401, 403)
    writes = [c for checks in MATRIX.values() for c in checks if c.method != "GET"]
    assert {c.method for c in writes} == {"POST", "PATCH", "DELETE"}
    for check in writes:
        if check.url.startswith("/api/"):
            assert _request(client, check, world) in (401, 403), check.url


def test_a_token_answers_as_its_owner_would(people, world):
    """Every API request, sent with a write token and no session (and no CSRF token),
    gets what its owner gets signed in: the token is the person, no more and no less."""
    wrong = []
    for i, person in enumerate(PEOPLE[1:], start=1):
        token, secret = ApiToken.issue(people[person], "matrix", "write")
        client = Client(enforce_csrf_checks=True)
        headers = {"Authorization": f"Bearer {secret}"}
        for name, checks in MATRIX.items():
            for check in checks:
                if not check.url.startswith("/api/"):
                    continue
                got = _request(client, check, world, headers)
                if got != check.expected[i]:
                    wrong.append(f"{check.method} {check.url} by {person}'s token: {got} ({name})")
    assert not wrong, "\n".join(wrong)


def test_the_draft_surfaces_nowhere_for_those_who_may_not_see_it(people, world):
    """Lists, counts, topic pages, similar cases and the API leave it out entirely."""
    from lightbox.cases.models import Case

    draft = Case.objects.get(number=world["case"])
    published = make_case(topic=draft.topic, title="A published neighbour")
    pages = [
        "/", "/cases/", "/browse/anatomy/4/", "/browse/anatomy/4/5/", "/browse/modality/NM/",
        "/series/bs/", f"/topics/{world['topic']}/", "/api/v1/cases",
        "/browse/acr/4.5/", "/keywords/", "/keywords/calcinosis/",
        f"/cases/{published.number}/similar/", f"/api/v1/cases/{published.number}",
        f"/api/v1/cases/{published.number}/similar", "/search/?q=changed+findings",
        "/search/?q=calcinosis", "/search/?modality=NM", "/api/v1/search?q=changed+findings",
        "/api/v1/search?q=calcinosis", "/api/v1/search?modality=NM",
        "/api/v1/similar?text=Changed+findings+calcinosis", "/search/?q=changd+findngs",
    ]  # fmt: skip
    for person in ("anonymous", "bob", "charlie"):
        client = Client()
        if person != "anonymous":
            client.force_login(people[person])
        for url in pages:
            body = client.get(url).content.decode()
            assert world["case"] not in body, f"{url} shows the draft to {person}"
            assert "Changed findings" not in body
        pasted = client.post("/search/similar/", {"text": "Changed findings. Calcinosis."})
        assert pasted.status_code == 200 and world["case"] not in pasted.content.decode()
        # The counts on the home page count what this person may open.
        home = client.get("/").content.decode()
        assert draft.title not in home
    client = Client()
    client.force_login(people["alice"])
    assert world["case"] in client.get("/cases/").content.decode()
