"""The shape of shared/: no import cycle (function-level imports count; `if TYPE_CHECKING:` ones do not run and do
not), and areas meet through events, not through each other's use cases.

An area (shared/<area>/) may import from another area only what that area publishes for others: its `models`,
`schemas`, `rules` (pure), `queries` (read-only) and `errors`, plus the few library modules named in
`PUBLISHED` below. Libraries — shared/*.py (uow, events' bus, clock, errors, …), shared/ledger, shared/adapters,
shared/http, shared/events — anyone may import. Entry points inside shared/ (`ENTRY_POINTS`: the operators' web
console) are like functions/: they may call any area's use cases, and nothing in shared/ may import them.
Why an AST walk and not import-linter: its acyclic contract works on sibling packages, so it would forbid
`tasks -> applications.rules` next to `applications -> tasks.models` (pure
modules each way, no module cycle); what we promise is a cycle-free *module* graph, which this checks exactly.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARY_PACKAGES = {"adapters", "http", "ledger", "events"}
ENTRY_POINTS = {"console"}  # shared/console: pages that call many areas' use cases (functions/admin composes them)
PUBLIC_MODULES = {"models", "schemas", "rules", "queries", "errors"}
PUBLISHED = {
    "shared.auth.tokens": "access and refresh tokens (pure crypto)",
    "shared.tasks.transitions": "the task state machine's one write path (next_status / set_status)",
    "shared.profiles.skills": "the skill taxonomy",
    "shared.profiles.cards": "the resume card's pure shapes (applications snapshot it)",
    "shared.billing.plans": "pure plan prices and the cold-start period",
    "shared.payments.checkout": "the order API through which any area collects money",
    "shared.growth.points": "the points ledger (grant_points: idempotent, capped per source class) any area may credit",
    "shared.notifications.kinds": "the registry of notification kinds and the Notice type of every area's texts.py",
}


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for f in (root / "shared").rglob("*.py"):
        name = ".".join(f.relative_to(root).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = f
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def imports(root: Path) -> dict[str, set[str]]:
    """module -> the shared modules it imports, anywhere in its body (functions included)."""
    mods = modules(root)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_nodes(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                # `from shared.x import y`: y is a module of package x, or a name defined in module x.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for t in targets:
                while t and t not in mods:  # `import shared.x.y` of a name: its module
                    t = t.rpartition(".")[0]
                if t and t != name:
                    graph[name].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def area(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] not in LIBRARY_PACKAGES else None


def entry_point(module: str) -> bool:
    parts = module.split(".")
    return len(parts) > 1 and parts[1] in ENTRY_POINTS


def forbidden(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for source, targets in graph.items():
        for target in targets:
            if entry_point(target) and not entry_point(source):
                bad.append(f"{source} -> {target} (an entry point: nothing in shared/ imports it)")
                continue
            if entry_point(source):
                continue  # an entry point calls whatever use cases it needs, like functions/
            a, b = area(source), area(target)
            if a is None or b is None or a == b:
                continue
            if target.rpartition(".")[2] in PUBLIC_MODULES or target in PUBLISHED:
                continue
            bad.append(f"{source} -> {target}")
    return sorted(bad)


def test_no_import_cycle_in_shared():
    assert cycles(imports(ROOT)) == []


def test_no_area_imports_another_areas_use_cases():
    assert forbidden(imports(ROOT)) == []


def test_every_published_module_exists():
    assert set(PUBLISHED) <= set(modules(ROOT))


@pytest.fixture
def tree(tmp_path: Path):
    """A small shared/ to prove the checks can fail."""

    def write(files: dict[str, str]) -> Path:
        for rel, text in files.items():
            path = tmp_path / "shared" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for pkg in {p.parent for p in (tmp_path / "shared").rglob("*.py")}:
            (pkg / "__init__.py").touch()
        return tmp_path

    return write


def test_a_function_level_import_closing_a_cycle_is_caught(tree):
    root = tree({
        "tasks/service.py": "def close():\n    from shared.applications.service import close_all\n",
        "applications/service.py": "from shared.tasks.service import close\n",
    })
    assert cycles(imports(root)) == [["shared.applications.service", "shared.tasks.service"]]
    assert forbidden(imports(root)) == ["shared.applications.service -> shared.tasks.service",
                                        "shared.tasks.service -> shared.applications.service"]


def test_the_console_may_call_use_cases_and_nothing_may_import_it(tree):
    root = tree({
        "console/pages/users.py": "from shared.auth.moderation import ban_user\nfrom shared.tasks.service import x\n",
        "auth/moderation.py": "", "tasks/service.py": "",
        "tasks/rules.py": "from shared.console.labels import EVENTS\n", "console/labels.py": "",
    })
    assert forbidden(imports(root)) == [
        "shared.tasks.rules -> shared.console.labels (an entry point: nothing in shared/ imports it)"]


def test_the_real_console_is_an_entry_point_that_nothing_imports():
    graph = imports(ROOT)
    assert any(t.startswith("shared.tasks.service") for t in graph["shared.console.pages.tasks"])
    importers = {s for s, targets in graph.items() for t in targets if entry_point(t) and not entry_point(s)}
    assert importers == set()


def test_type_checking_imports_and_public_modules_are_allowed(tree):
    root = tree({
        "uow.py": "from shared.notifications.service import add\n",
        "notifications/service.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                     "    from shared.uow import UnitOfWork\n"),
        "work/service.py": "from shared.tasks.models import Task\nfrom shared.tasks import rules\n",
        "tasks/models.py": "", "tasks/rules.py": "",
    })
    graph = imports(root)
    assert cycles(graph) == [] and forbidden(graph) == []
    assert graph["shared.work.service"] == {"shared.tasks.models", "shared.tasks.rules"}
