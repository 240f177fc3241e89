"""Who may import whom (ARCHITECTURE.md, "Floors"), read from the source as Python would import it.

Ground (clock, config, extensions, ratelimit, upsert) imports nothing above it; the lower floors
(staff, departments' models and services, content, files, publication, search, web's helpers)
import no feature; no module outside the back office imports it; a feature never imports another
feature's views; and no two modules import each other, directly or round a circle, at import time.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parents[1] / "portal"
GROUND = ("portal.clock", "portal.config", "portal.extensions", "portal.ratelimit", "portal.upsert", "portal.workdays")
FEATURES = ("portal.applications", "portal.disclosures", "portal.ratings", "portal.reports")
LOWER = GROUND + ("portal.staff", "portal.departments.models", "portal.departments.services", "portal.content",
                  "portal.files", "portal.publication", "portal.review", "portal.search", "portal.web")
TOP_IN_LOWER = ("portal.web.views", "portal.search.views", "portal.search.commands", "portal.publication.commands")


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PORTAL.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PORTAL.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The portal module an import names (a package's __init__, or the module itself)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.If) and top_level_only:  # `if TYPE_CHECKING:` imports nothing at run time
            continue
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.startswith("portal") and (target := _resolve(name)) and target != module:
                found.add(target)
    return found


def _within(module: str, prefixes) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def test_nothing_outside_the_back_office_imports_it():
    offenders = [(module, target) for module in MODULES if not _within(module, ("portal.admin",))
                 and module != "portal"  # create_app lists the features, the back office among them
                 for target in _imports(module, top_level_only=False) if _within(target, ("portal.admin",))]
    assert offenders == []


def test_ground_imports_only_ground():
    offenders = [(module, target) for module in MODULES if _within(module, GROUND)
                 for target in _imports(module, top_level_only=False) if not _within(target, GROUND)]
    assert offenders == []


def test_the_lower_floors_import_no_feature():
    offenders = [(module, target) for module in MODULES
                 if _within(module, LOWER) and not _within(module, TOP_IN_LOWER)
                 for target in _imports(module, top_level_only=False) if _within(target, FEATURES + ("portal.admin",))]
    assert offenders == []


def test_no_feature_imports_another_features_views():
    offenders = []
    for module in MODULES:
        own = next((feature for feature in FEATURES if _within(module, (feature,))), None)
        for target in _imports(module, top_level_only=False):
            if target.endswith(".views") and _within(target, FEATURES) and own and not _within(target, (own,)):
                offenders.append((module, target))
    assert offenders == []


def test_no_import_circle():
    graph = {module: _imports(module, top_level_only=True) for module in MODULES}
    # A package's own submodules import it first (Python does); that edge is not a circle.
    for module, targets in graph.items():
        targets.discard(module.rpartition(".")[0])
    circles = _cycles(graph)
    assert circles == [], "import circles: " + "; ".join(" → ".join(c) for c in circles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


@pytest.mark.parametrize("broken", [{"a": {"b"}, "b": {"a"}}, {"a": {"b"}, "b": {"c"}, "c": {"a"}}])
def test_the_circle_finder_finds_circles(broken):
    assert _cycles(broken)
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def _whoosh_imports(module: str) -> list[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "whoosh"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "whoosh":
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def test_only_search_imports_whoosh_and_only_its_storage_reaches_inside():
    internals = ("whoosh.codec", "whoosh.writing", "whoosh.reading", "whoosh.matching", "whoosh.filedb")
    outside_search, internal_outside_storage = [], []
    for module in MODULES:
        for name in _whoosh_imports(module):
            if not _within(module, ("portal.search",)):
                outside_search.append((module, name))
            elif not _within(module, ("portal.search.storage",)) and (
                    name.startswith(internals) or name.rpartition(".")[2].startswith("_")):
                internal_outside_storage.append((module, name))
    assert outside_search == []
    assert internal_outside_storage == []
