"""Every parameter of every URL, given odd values by every kind of person: never a 5xx.

The URLs are found by walking the URL configuration, Django's admin included, so a new
page is fuzzed without being listed here. Each URL is built with valid path values from a
small library (a published case with a picture, a DICOM series, an upload, comments and
revisions; a topic; an audit entry), then with odd ones in each path segment.

The parameters each view reads are found, not listed:

- in the source of the view's module: ``GET.get("…")``, ``POST.getlist("…")``,
  ``params.get("…")`` and the like; the search facets (``engine.FACETS``) where the
  module uses them; the fields of every form class the module (or a class-based view)
  uses;
- in the page itself: every named input, select and textarea of its forms, as the
  administrator sees them (the case and topic editors, pixel review, the admin's forms);
- for the JSON API, in its OpenAPI description (``/api/v1/openapi.json``), plus what the
  endpoint's function reads from the query string.

Each parameter is sent alone with each odd value (``ODD``), then with repeated and
``name[]`` forms, as GET and as POST, anonymously and as a learner, an author and an
administrator. A response of 500 or more, or an exception (the test client re-raises
them), is a failure; all failures are reported together. Every request runs in a
transaction that is rolled back, so what one POST changes does not change the next.
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pydicom
import pytest
from django import forms
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from pydicom.data import get_testdata_file

from lightbox.api.models import ApiToken
from lightbox.audit.log import record as audit
from lightbox.comments.models import Comment
from lightbox.conference.models import Conference
from lightbox.history.revisions import record as revision
from lightbox.imaging.images import add_image
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import ReceivedStudy
from lightbox.imaging.uploads import receive
from lightbox.learning.models import Attempt, StudySession
from lightbox.search.engine import FACETS
from lightbox.test import Named, make_case, make_topic, png_bytes

pytestmark = pytest.mark.django_db

PEOPLE = ("anonymous", "bob", "alice", "root")

#: Odd values for a query or form parameter. "%ff" is sent raw (an invalid UTF-8 byte).
ODD: list[str] = [
    "abc",
    "1e3",
    "-1",
    "0",
    "99999999999999999999",
    "",
    "²",
    "ünïcødé ✓ 𝔘 \u202e",
    "\x00",
    "%ff",
    "x" * 10_000,
    "[" * 3000,
    '[{"x": 1e999, "y": 0, "width": 1, "height": 1}]',
]
#: Odd values for a path segment, already URL-encoded.
ODD_SEGMENTS = ["0", "99999999999999999999", "abc", "%00", "%ff", "-1", "1e3", "%F0%9F%98%80"]
#: Fewer for Django's admin (its own code, and heavy pages): the kinds that differ most.
ODD_ADMIN = ["abc", "-1", "99999999999999999999", "\x00", "%ff", "x" * 10_000, "[" * 3000]
#: Query parameters Django's admin reads on its lists, and on its object pages.
ADMIN_LIST_PARAMS = ["q", "o", "p", "all", "e", "_popup", "_to_field"]
ADMIN_OBJECT_PARAMS = ["_popup", "_to_field", "_changelist_filters"]

# request.GET.get("page"), params.getlist("year"), int_param(request.GET, "page", ...)
#: Server errors inside Django's admin itself (Django 6.1.3, on a project with nothing of
#: ours), by the failure they give, with the reason and the databases they happen on. The
#: admin is for administrators only; these are to be reported upstream. The test fails
#: when one of them stops happening: then remove it.
BOTH = ("sqlite", "postgresql")
UPSTREAM: dict[str, tuple[str, tuple[str, ...]]] = {
    r"GET /admin/\w+/\w+/\d+/(change|delete)/\?_to_field: FieldDoesNotExist": (
        "an empty ?_to_field passes the 'allowed' check, then get_object() asks the model "
        "for the field ''",
        BOTH,
    ),
    r"POST /admin/auth/(group/add|user/\d+/change)/\?.*: OverflowError": (
        "ModelMultipleChoiceField (permissions, groups) looks up a pk beyond 64 bits, "
        "which SQLite's driver refuses with an OverflowError it does not catch",
        ("sqlite",),
    ),
    r"GET /admin/audit/auditentry/\?created__year=9{20}: OverflowError": (
        "date_hierarchy makes a date of a year beyond a C long",
        BOTH,
    ),
    r"GET /admin/[\w/]+/\?\w+=%00: DataError": (
        "list filters pass a NUL byte to PostgreSQL, which refuses it",
        ("postgresql",),
    ),
}
#: Routes a request to which may end the session.
SIGNS_OUT = {"logout", "password_change", "admin:logout", "admin:password_change"}

_READS = re.compile(
    r"""\b(?:(?:GET|POST|params|query|data)\.(?:get|getlist|pop)\("""
    r"""|int_param\(\s*[\w.]+\s*,)\s*["'](\w+)["']"""
)


@dataclass
class Route:
    name: str
    pattern: URLPattern
    params: set[str] = field(default_factory=set)

    @property
    def kwargs(self) -> list[str]:
        return list(self.pattern.pattern.regex.groupindex)


def _routes(patterns: list[Any], namespace: str = "") -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _routes(p.url_patterns, inner)
        elif isinstance(p, URLPattern) and p.name:
            yield Route(f"{namespace}{p.name}", p)


# -- the library the URLs point into ------------------------------------------------------


@pytest.fixture
def world(people) -> dict[str, Any]:
    alice, erin = people["alice"], people["erin"]
    topic = make_topic()
    revision(topic, user=erin, kind="created")
    topic.discussion = "Changed."
    topic.save()
    revision(topic, user=erin, kind="edited")
    case = make_case(created_by=alice, topic=topic)
    revision(case, user=alice, kind="created")
    case.findings = "Changed findings, 3 cm."
    case.save()
    revision(case, user=alice, kind="edited")
    picture = add_image(case, png_bytes(), caption="A picture")
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    upload = receive(case, alice, [Named("ct.dcm", _dicom_bytes(ds))])
    process_upload(upload.pk)
    dicom_image = case.images.exclude(pk=picture.pk).get()
    comment = Comment.objects.create(case=case, author=alice, body="Alice's comment")
    hidden = Comment.objects.create(case=case, author=erin, body="Hidden", hidden=True)
    # Running, with the case on screen and its question open: every conference view has
    # something to read. root (an administrator) may run it.
    conference = Conference.objects.create(title="Tuesday unknowns", owner=erin)
    conference.add_case(case)
    conference.open_room()
    conference.toggle_question()
    attempt = Attempt.objects.create(user=alice, case=case, answer="A guess", outcome="unsure")
    session = StudySession.objects.create(user=alice, title="Mine", case_ids=[case.pk])
    waiting = make_case(status="draft", visibility="private", title="Received, for nobody")
    received = ReceivedStudy.objects.create(case=waiting, study_uid="2.25.1", calling_ae="CT1")
    token, _ = ApiToken.issue(alice, "alice's script", "write")
    return {
        "api_token": token.pk,
        "received": received.pk,
        "conference": conference.pk,
        "join_code": conference.code,
        "number": case.number,
        "case_pk": case.pk,
        "slug": topic.slug,
        "picture": picture.pk,
        "dicom_image": dicom_image.pk,
        "instance": dicom_image.series.instances.get().pk,
        "upload_id": upload.pk,
        "comment": comment.pk,
        "hidden_comment": hidden.pk,
        "audit": audit("edit", actor=alice, target=case, summary="an entry").pk,
        "bob": people["bob"].pk,
        "attempt": attempt.pk,
        "session": session.pk,
    }


def _dicom_bytes(ds: pydicom.Dataset) -> bytes:
    import io

    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _pk(route: str, world: dict[str, Any]) -> Any:
    """The object an ``<int:pk>`` of this route names."""
    if route.startswith("lightbox-conference-") and route != "lightbox-conference-image":
        return world["conference"]
    if "comment-restore" in route:
        return world["hidden_comment"]
    if "comment" in route:
        return world["comment"]
    if "audit" in route:
        return world["audit"]
    if route.endswith("attempt-self-grade"):
        return world["attempt"]
    if "session" in route:
        return world["session"]
    if route.endswith("token-revoke"):
        return world["api_token"]
    if "change-role" in route:
        return world["bob"]
    if route.startswith("lightbox-inbox"):
        return world["received"]
    if "instance" in route:
        return world["instance"]
    if route.endswith(("image-view", "image-manifest", "series-zip")):
        return world["dicom_image"]
    return world["picture"]


def _valid_kwargs(route: Route, world: dict[str, Any]) -> dict[str, Any]:
    fixed = {
        "number": world["number"],
        "n": 1,
        "slug": world["slug"],
        "upload_id": world["upload_id"],
        "frame": 1,
        "kind": "full",
        "action": "submit",
        "field": "4",
        "category": "5",
        "modality": "NM",
        "code": "4.5",
        "keyword": "calcinosis",
        "prefix": "bs",
        "token": "not-a-token",
        "uidb64": "MQ",
        "rest": "nothing/here",
        "object_id": world["case_pk"],
        "app_label": "cases",
        "content_type_id": 1,
        "url": "nothing/",
        "id": world["bob"],
        "join_code": world["join_code"],
        "position": 1,
        "username": "alice",
        "comment_id": world["comment"],
    }
    return {k: _pk(route.name, world) if k == "pk" else fixed[k] for k in route.kwargs}


def _urls(route: Route, world: dict[str, Any]) -> list[str]:
    """The route with valid path values, then with each odd value in each segment."""
    valid = _valid_kwargs(route, world)
    url = reverse(route.name, kwargs=valid)
    urls = [url]
    for value in valid.values():
        encoded = quote(str(value), safe="/")
        if encoded not in url:
            continue
        urls += [url.replace(encoded, odd, 1) for odd in ODD_SEGMENTS]
    return urls


# -- which parameters each view reads ------------------------------------------------------


def _sources(function: Any, depth: int = 3) -> list[str]:
    """The source of ``function``, of the functions of its module it calls, and of
    theirs (``depth`` levels): where a view reads its parameters."""
    module = inspect.getmodule(function)
    local = {
        name: f
        for name, f in vars(module).items()
        if inspect.isfunction(f) and f.__module__ == module.__name__
    }
    seen: dict[str, str] = {}
    todo = [function]
    for _ in range(depth):
        called = []
        for f in todo:
            if f.__qualname__ not in seen:
                seen[f.__qualname__] = source = inspect.getsource(f)
                called += [g for name, g in local.items() if re.search(rf"\b{name}\(", source)]
        todo = called
    return list(seen.values())


def _params_in(sources: list[str], namespace: dict[str, Any]) -> set[str]:
    """What these sources read: named parameters, the search facets, form fields."""
    text = "\n".join(sources)
    found = set(_READS.findall(text))
    if "FACETS" in text:
        found |= set(FACETS)
    for name, value in namespace.items():
        if (
            inspect.isclass(value)
            and issubclass(value, forms.BaseForm)
            and re.search(rf"\b{name}\b", text)
        ):
            found |= set(value.base_fields)
    return found


def _view_params(route: Route) -> set[str]:
    callback = route.pattern.callback
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        form_class = getattr(view_class, "form_class", None)
        found = set(form_class.base_fields) if form_class is not None else set()
        module = inspect.getmodule(view_class)
        # Every auth view reads ?next=.
        return found | {"next"} | _params_in([inspect.getsource(view_class)], vars(module))
    if route.name.startswith("admin:"):
        if route.name.endswith("_changelist"):
            return set(ADMIN_LIST_PARAMS)
        return set(ADMIN_OBJECT_PARAMS) if route.name.endswith(("_change", "_delete")) else set()
    function = inspect.unwrap(callback)
    module = inspect.getmodule(function)
    if module is None or not module.__name__.startswith("lightbox."):
        return set()
    return _params_in(_sources(function), vars(module))


class _PageNames(HTMLParser):
    """The names of a page's form controls (as a browser would submit them) and of the
    query parameters of its links to itself (sorting, paging, facets, admin filters)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: set[str] = set()
        self.links: set[str] = set()
        #: The named submit buttons, each a choice of what the form does ("action=mask").
        self.submits: set[tuple[str, str]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") or ""
        submit = tag == "button" or (tag == "input" and a.get("type") == "submit")
        if submit and name:
            self.submits.add((name, a.get("value") or ""))
        elif tag in ("input", "select", "textarea") and name:
            self.fields.add(name)
        href = a.get("href") or ""
        if tag == "a" and href.startswith("?"):
            self.links |= {k for k, _ in parse_qsl(href[1:], keep_blank_values=True)}


def _page_params(client: Client, url: str) -> _PageNames:
    """The form fields, submit buttons and link parameters of the page at ``url``, as an
    administrator sees it."""
    parser = _PageNames()
    response = client.get(url)
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        parser.feed(response.content.decode(errors="replace"))
    parser.fields.discard("csrfmiddlewaretoken")
    return parser


def _api_params(client: Client) -> dict[str, set[str]]:
    """Query parameters by API path pattern (OpenAPI), plus what each function reads."""
    from lightbox.api import views as api_views
    from lightbox.api import write_views

    spec = client.get("/api/v1/openapi.json").json()
    out: dict[str, set[str]] = {}
    for path, operations in spec["paths"].items():
        names = out.setdefault(path, set())
        for operation in operations.values():
            names |= {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            name = operation["operationId"].rsplit("_views_", 1)[-1]
            module = next(m for m in (api_views, write_views) if hasattr(m, name))
            names |= _params_in(_sources(getattr(module, name)), vars(module))
    return out


def _api_path_params(url: str, api: dict[str, set[str]]) -> set[str]:
    for path, names in api.items():
        if re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", path), url):
            return names
    return set()


# -- the requests --------------------------------------------------------------------------


def _encode(names: set[str], value: str) -> str:
    """A query string giving each of ``names`` the value ("%ff" raw: not UTF-8)."""
    if value == "%ff":
        return "&".join(f"{quote(name)}=%ff" for name in sorted(names))
    return urlencode({name: value for name in sorted(names)})


def _queries(name: str, odd: list[str]) -> Iterator[str]:
    """Query strings giving ``name`` each odd value, then repeated and array forms."""
    for value in odd:
        yield _encode({name}, value)
    yield f"{quote(name)}=1&{quote(name)}=abc&{quote(name)}=-1"
    yield f"{quote(name)}%5B%5D=1&{quote(name)}%5B%5D=2"
    yield quote(name)  # present, with no "=" at all


def _send(client: Client, method: str, url: str, query: str) -> int:
    with transaction.atomic():
        if method == "GET":
            response = client.get(f"{url}?{query}")
        else:
            response = client.post(
                url, data=query.encode(), content_type="application/x-www-form-urlencoded"
            )
        transaction.set_rollback(True)
    return response.status_code


def _label(method: str, url: str, query: str) -> str:
    return f"{method} {url}?{query[:80]}"


def _try(client: Client, method: str, url: str, query: str, failures: list[str]) -> None:
    label = _label(method, url, query)
    try:
        status = _send(client, method, url, query)
    except Exception as e:  # the test client re-raises what a view raised
        failures.append(f"{label}: {type(e).__name__}: {str(e)[:200]}")
        return
    if status >= 500:
        failures.append(f"{label}: {status}")


def test_it_finds_every_url_and_the_parameters_they_read(world, people):
    routes = list(_routes(get_resolver().url_patterns))
    names = {r.name for r in routes}
    assert {"lightbox-search", "lightbox-api:list_cases", "admin:cases_case_changelist"} <= names
    search = next(r for r in routes if r.name == "lightbox-search")
    assert {"q", "page", "sort", "unknown", "year", "age"} <= _view_params(search)
    client = Client()
    client.force_login(people["root"])
    api = _api_params(client)
    assert {"page", "page_size"} <= _api_path_params("/api/v1/cases", api)
    assert {"q", "per_page", "year", "modality"} <= _api_path_params("/api/v1/search", api)
    edit = f"/cases/{world['number']}/edit/"
    assert {"findings", "differential-0-item", "title"} <= _page_params(client, edit).fields
    changelist = reverse("admin:cases_case_changelist")
    assert {"status__exact", "o"} <= _page_params(client, changelist).links
    review = f"/cases/{world['number']}/images/{world['picture']}/review/"
    assert {("action", "mask"), ("action", "confirm")} <= _page_params(client, review).submits


@dataclass
class _Plan:
    """What is sent to one route: ``(method, url, query)`` triples."""

    requests: list[tuple[str, str, str]] = field(default_factory=list)


def _plan(route: Route, world: dict[str, Any], admin: Client, api: dict[str, set[str]]) -> _Plan:
    """Each parameter the view reads alone with each odd value, GET and POST; the page's
    form fields all at once with each odd value, POST (a form checks every field); the
    URL with an odd value in each path segment."""
    urls = _urls(route, world)
    url = urls[0]
    page = _page_params(admin, url)
    is_admin = route.name.startswith("admin:")
    odd = ODD_ADMIN if is_admin else ODD
    read = _view_params(route) | _api_path_params(url, api) | page.links
    plan = _Plan()
    for name in sorted(read):
        for query in _queries(name, odd):
            plan.requests.append(("GET", url, query))
            if not is_admin:
                plan.requests.append(("POST", url, query))
    # Each way of submitting the form ("action=mask", "action=confirm"), the rest odd.
    for value in odd if page.fields else []:
        body = _encode(page.fields, value)
        for name, choice in sorted(page.submits) or [("", "")]:
            pressed = f"&{urlencode({name: choice})}" if name else ""
            plan.requests.append(("POST", url, body + pressed))
    for other in urls[1:]:
        plan.requests += [("GET", other, ""), ("POST", other, "")]
    plan.requests.append(("POST", url, ""))
    return plan


#: Each person's routes are dealt round-robin into this many parts, each a test of its
#: own (about half a minute each), so that pytest-xdist's workers share them out: root
#: reaches every page and Django's admin, anonymous is sent to sign in from most.
PARTS = {"anonymous": 1, "bob": 2, "alice": 4, "root": 8}


def _request_pattern(upstream: str) -> str:
    """The request half of an UPSTREAM pattern ("GET /admin/...: OverflowError")."""
    return upstream.rsplit(": ", 1)[0]


@pytest.mark.parametrize(
    ("person", "part"),
    [(person, part) for person in PEOPLE for part in range(PARTS[person])],
    ids=lambda value: str(value),
)
def test_no_odd_parameter_gets_a_server_error(world, people, person, part):
    admin = Client()
    admin.force_login(people["root"])
    api = _api_params(admin)
    client = Client(raise_request_exception=True)
    failures: list[str] = []
    sent: list[str] = []
    routes = [
        route
        for route in _routes(get_resolver().url_patterns)
        # Everyone else is sent to the sign-in page by the admin before anything is read.
        if person == "root" or not route.name.startswith("admin:")
    ]
    for route in routes[part :: PARTS[person]]:
        plan = _plan(route, world, admin, api)
        for i, (method, url, query) in enumerate(plan.requests):
            # Signed in again for each route, and before each request to the routes that
            # sign out: the database is rolled back after each request, the cookie not.
            if person != "anonymous" and (i == 0 or route.name in SIGNS_OUT):
                client.force_login(people[person])
            _try(client, method, url, query, failures)
            sent.append(_label(method, url, query))
    assert len(sent) * PARTS[person] > 5000
    known = [p for p, (_, vendors) in UPSTREAM.items() if connection.vendor in vendors]
    ours = [f for f in failures if not any(re.match(p, f) for p in known)]
    assert not ours, f"{len(ours)} of {len(sent)} requests failed:\n" + "\n".join(ours[:200])


def test_every_known_upstream_failure_still_happens(world, people):
    """Root, the only one who reaches the admin, sends again the requests of each known
    upstream failure (it takes some values of a parameter, so every request of the
    route): one that no longer fails has been fixed upstream and leaves UPSTREAM."""
    known = [p for p, (_, vendors) in UPSTREAM.items() if connection.vendor in vendors]
    routes = [r for r in _routes(get_resolver().url_patterns) if r.name.startswith("admin:")]
    admin = Client()
    admin.force_login(people["root"])
    api = _api_params(admin)
    client = Client(raise_request_exception=True)
    failures: list[str] = []
    asked = {p: 0 for p in known}
    for route in routes:
        for method, url, query in _plan(route, world, admin, api).requests:
            matching = [
                p for p in known if re.match(_request_pattern(p), _label(method, url, query))
            ]
            if not matching:
                continue
            client.force_login(people["root"])  # a few hundred requests: each signed in
            _try(client, method, url, query, failures)
            for p in matching:
                asked[p] += 1
    assert all(asked.values()), f"no request asks for {[p for p, n in asked.items() if not n]}"
    fixed = [p for p in known if not any(re.match(p, f) for f in failures)]
    assert not fixed, f"fixed upstream, remove from UPSTREAM: {fixed}"


def test_the_upload_ids_in_urls_are_only_ever_uuids(world, client):
    # <uuid:…> refuses anything else before the view: an odd id is a 404, never a 500.
    assert client.get(f"/uploads/{uuid.uuid4()}/").status_code in (302, 404)
    assert client.get("/uploads/99999999999999999999/").status_code == 404
