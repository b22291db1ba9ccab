"""The rules the layout keeps, read from the source (imports inside functions included).

- The libraries — ``lib``, ``deid``, ``imaging/dicom``, ``search/text`` — import no app;
  ``deid``, ``imaging/dicom`` and ``search/text`` import nothing from Django either.
- No app imports ``interchange`` or ``api``: they stand on the apps, never under them.
- ``cases/models.py`` imports no other app: every app stands on it.
- No two Lightbox modules import each other, directly or round a longer circle.

:func:`lightbox_imports` reads every module once with :mod:`ast`; each rule is a function
from that graph to its violations, so the tests at the bottom can show a rule failing on
a small made-up tree as well as holding on the real one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Set
from pathlib import Path
from typing import TypeGuard

ROOT = Path(__file__).resolve().parents[1]

# Django apps: a package with an apps.py. Libraries are Django-free or Django-light code
# that apps build on.
APPS = sorted(p.parent.name for p in ROOT.glob("*/apps.py"))
LIBRARIES = ("lightbox.lib", "lightbox.deid", "lightbox.imaging.dicom", "lightbox.search.text")
DJANGO_FREE = ("lightbox.deid", "lightbox.imaging.dicom", "lightbox.search.text")
ON_TOP = ("interchange", "api")
# A string that is a whole dotted path, as import_string and include() take one.
DOTTED = re.compile(r"lightbox(\.\w+)+")

Graph = Mapping[str, set[str]]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, str]:
    """Every module of the project that is not a test or a migration, by dotted name."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
            found[module_name(path)] = path.read_text(encoding="utf-8")
    return found


def is_dotted_path(node: ast.AST) -> TypeGuard[ast.Constant]:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and DOTTED.fullmatch(node.value) is not None
    )


def imported_names(module: str, source: str, is_package: bool, paths: bool) -> Iterator[str]:
    """Every dotted name ``module`` imports, and with ``paths`` every one it names as a
    whole-string path (what ``import_string`` and ``include()`` are given)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from package import module" imports the module (its package's __init__
            # runs first in any import, so it is no edge of its own).
            yield from (f"{base}.{alias.name}" for alias in node.names)
        elif paths and is_dotted_path(node):
            yield node.value


def lightbox_imports(
    modules: Mapping[str, str], packages: Set[str] = frozenset(), paths: bool = False
) -> Graph:
    """Module → the modules (and third-party top-level names) it imports; with ``paths``,
    also the modules it names by dotted path (a settings module naming the WSGI module
    is configuration, not a circle)."""
    graph: dict[str, set[str]] = {}
    for module, source in modules.items():
        targets = set()
        for name in imported_names(module, source, module in packages, paths):
            if name.startswith("lightbox"):
                # "from lightbox.search import index" names a module; "… import backend"
                # names an attribute of one: keep the longest prefix that is a module.
                while name not in modules and "." in name:
                    name = name.rpartition(".")[0]
                if name in modules and name != module:
                    targets.add(name)
            else:
                targets.add(name.partition(".")[0])
        graph[module] = targets
    return graph


def app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in APPS else None


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def library_violations(graph: Graph) -> list[str]:
    found = []
    for module, targets in graph.items():
        for library in LIBRARIES:
            if not within(module, library):
                continue
            for target in sorted(targets):
                if target.startswith("lightbox.") and not any(
                    within(target, lib) for lib in LIBRARIES
                ):
                    found.append(f"{module} (a library) imports the app module {target}")
                if target == "django" and library in DJANGO_FREE:
                    found.append(f"{module} (Django-free) imports django")
    return found


def on_top_violations(graph: Graph) -> list[str]:
    return [
        f"{module} imports {target}: no app stands on {app_of(target)}"
        for module, targets in graph.items()
        for target in sorted(targets)
        if app_of(target) in ON_TOP and app_of(module) not in (None, app_of(target))
    ]


def case_model_violations(graph: Graph) -> list[str]:
    return [
        f"lightbox.cases.models imports {target}"
        for target in sorted(graph.get("lightbox.cases.models", ()))
        if target.startswith("lightbox.") and app_of(target) not in (None, "cases")
    ]


def circles(graph: Graph) -> list[list[str]]:
    """Groups of modules that import each other, round any circle (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph.get(module, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while (member := stack.pop()) != module:
                group.append(member)
            if group:
                found.append(sorted([module, *group]))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def project_graph(paths: bool = False) -> Graph:
    packages = {module_name(p) for p in ROOT.rglob("__init__.py")}
    return lightbox_imports(sources(), packages, paths)


def test_the_libraries_import_no_app() -> None:
    assert library_violations(project_graph()) == []


def test_no_app_imports_interchange_or_api() -> None:
    assert on_top_violations(project_graph(paths=True)) == []


def test_the_case_model_imports_no_other_app() -> None:
    assert case_model_violations(project_graph()) == []


def test_no_modules_import_each_other() -> None:
    assert circles(project_graph()) == []


def test_it_reads_every_app_and_library() -> None:
    graph = project_graph()
    assert {"cases", "imaging", "search", "interchange", "api", "ops"} <= set(APPS)
    for library in LIBRARIES:
        assert any(within(module, library) for module in graph), library
    # Imports inside functions count: the checks would be blind without them.
    assert "lightbox.cases.models" in graph["lightbox.cases.access"]


MADE_UP = {
    "lightbox.lib.text": "from django.db import models\n",
    "lightbox.deid.text": "def scan():\n    from django.conf import settings\n",
    "lightbox.search.text.parse": "from lightbox.cases.models import Case\n",
    "lightbox.cases.models": "def f():\n    from lightbox.imaging.models import Image\n",
    "lightbox.cases.views": "from lightbox.api.views import error_response\n",
    "lightbox.imaging.models": "from lightbox.imaging import ingest\n",
    "lightbox.imaging.ingest": "import lightbox.imaging.tasks\n",
    "lightbox.imaging.tasks": "from . import models\n",
    "lightbox.imaging.worker": "RUN = 'lightbox.interchange.demo.load'\n",
    "lightbox.api.views": "from lightbox.cases.models import Case\n",
    "lightbox.interchange.demo.load": "from lightbox.api.views import error_response\n",
}


def test_each_rule_fails_on_a_tree_that_breaks_it() -> None:
    graph = lightbox_imports(MADE_UP, paths=True)
    assert library_violations(graph) == [
        "lightbox.deid.text (Django-free) imports django",
        "lightbox.search.text.parse (a library) imports the app module lightbox.cases.models",
    ]
    assert on_top_violations(graph) == [
        "lightbox.cases.views imports lightbox.api.views: no app stands on api",
        "lightbox.imaging.worker imports lightbox.interchange.demo.load: "
        "no app stands on interchange",
        "lightbox.interchange.demo.load imports lightbox.api.views: no app stands on api",
    ]
    assert case_model_violations(graph) == [
        "lightbox.cases.models imports lightbox.imaging.models"
    ]
    assert circles(lightbox_imports(MADE_UP)) == [
        ["lightbox.imaging.ingest", "lightbox.imaging.models", "lightbox.imaging.tasks"]
    ]
