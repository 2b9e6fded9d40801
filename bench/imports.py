"""Cold start: how long `import functions.<name>.index` takes in a fresh interpreter, against the baseline of the
database and validation libraries alone (`import sqlmodel, sqlalchemy, psycopg2, pydantic, pydantic_settings`).

Each target is imported in its own `python -c` subprocess, `repeats` times, interleaved round-robin (the order
rotating every round) so background load hits them alike. The child times the import statement alone (interpreter
start-up excluded), as CPU time (user + system, `time.process_time`) and wall time; the medians are kept, and the
goal is judged on the CPU-time median (waiting for a core on a shared machine inflates wall time only). The minimum
is reported too: import work is deterministic and noise only adds to it, so min ÷ baseline min is the steadier ratio.

A function whose import loads fpdf (PDF rendering) is exempt from the 1.3× goal. For a function over the goal,
`-X importtime` names the heaviest imports beyond the baseline.

Also measured: the same imports with no bytecode cache at all — a read-only copy of the project and of the
site-packages it imports, without __pycache__ (wheels hold none), so every module is compiled at import: a container
starting from a package built without a Python 3.10 at hand (infra/package.py ships bytecode when it finds one).
"""

from __future__ import annotations

import json
import os
import shutil
import site
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "sqlmodel, sqlalchemy, psycopg2, pydantic, pydantic_settings"
# A reference row: the baseline plus the PostgreSQL dialect package, which every function touching the database
# loads anyway — at import through shared.columns (ARRAY, JSONB), or at its first create_engine().
WITH_DIALECT = ("baseline + pg dialect", BASELINE + ", sqlalchemy.dialects.postgresql")
GOAL = 1.3

_CHILD = (
    "import sys, time, json\n"
    "t, c = time.perf_counter(), time.process_time()\n"
    "import {target}\n"
    "t, c = time.perf_counter() - t, time.process_time() - c\n"
    "print(json.dumps({{'s': t, 'cpu': c, 'pdf': 'fpdf' in sys.modules, 'modules': len(sys.modules)}}))\n"
)


@dataclass
class ImportResult:
    name: str  # "baseline" or the function name
    median_ms: float  # CPU time (user + system) of the import, median over the runs
    min_ms: float
    modules: int
    pdf: bool
    ratio: float = 0.0  # median_ms / the baseline's
    min_ratio: float = 0.0  # min_ms / the baseline's
    wall_ms: float = 0.0  # wall time, median
    heavy: list[tuple[str, float]] | None = None  # the heaviest imports beyond the baseline (ms), when over the goal
    runs: int = 0

    @property
    def meets_goal(self) -> bool:
        return self.pdf or self.ratio <= GOAL


def functions() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "functions").glob("*/index.py"))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # any non-empty value disables the bytecode cache; we want it used
    return env


def _measure(target: str, tree: Path | None = None) -> dict:
    code = _CHILD.format(target=target)
    env = _env()
    if tree is not None:  # import from the bytecode-free copy, and write no bytecode there either
        code = f"import sys\nsys.path.insert(0, {str(tree)!r})\n" + code.replace(
            "print(", f"assert __import__('sqlalchemy').__file__.startswith({str(tree)!r})\nprint(", 1)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,  # noqa: S603 - our own interpreter
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"import {target} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def heaviest_beyond_baseline(target: str, top: int = 8) -> list[tuple[str, float]]:
    """-X importtime of `import <baseline>; import <target>`: self time summed per package (shared.* per module
    group), for the modules the baseline did not already load. Returns [(package, ms)] heaviest first."""
    code = f"import {BASELINE}\nimport {target}\n"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code],  # noqa: S603 - our own interpreter
                         cwd=ROOT, env=_env(), capture_output=True, text=True, check=True)
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("import time:") and "|" in ln]
    # Everything up to and including the baseline's last top-level import belongs to the baseline.
    # (Children are listed before their parent; a top-level module's name has exactly one leading space.)
    last_base = max(i for i, ln in enumerate(lines) if ln.split("|")[2].rstrip() == " pydantic_settings")
    totals: dict[str, float] = {}
    for ln in lines[last_base + 1:]:
        self_us, _cumulative, name = ln.split("|")
        module = name.strip()
        parts = module.split(".")
        key = ".".join(parts[:2]) if parts[0] in ("shared", "sqlalchemy", "pydantic", "functions") else parts[0]
        totals[key] = totals.get(key, 0.0) + int(self_us.replace("import time:", "").strip()) / 1000
    return sorted(totals.items(), key=lambda kv: -kv[1])[:top]


def _bytecode_free_tree(targets: list[str]) -> Path:
    """A read-only temp copy, without __pycache__, of every top-level package or module (project or site-packages)
    that importing `targets` loads, plus the site-packages' *.libs (shared libraries of binary wheels)."""
    code = (f"import sys\nimport {', '.join(targets)}\n"
            "print('\\n'.join(sorted({getattr(m, '__file__', None) or '' for m in list(sys.modules.values())})))")
    files = subprocess.run([sys.executable, "-c", code],  # noqa: S603 - our own interpreter
                           cwd=ROOT, env=_env(), capture_output=True, text=True, check=True).stdout.splitlines()
    roots = [Path(p) for p in site.getsitepackages()] + [ROOT]
    tops: set[Path] = set()
    for f in filter(None, files):
        path = Path(f)
        for root in roots:
            if root in path.parents:
                tops.add(root / path.relative_to(root).parts[0])
    for root in roots[:-1]:
        tops.update(root.glob("*.libs"))
    tree = Path(tempfile.mkdtemp(prefix="codelink-nopyc-"))
    for top in sorted(tops):
        if top.is_dir():
            shutil.copytree(top, tree / top.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(top, tree / top.name)
    _chmod(tree, writable=False)
    return tree


def _chmod(tree: Path, *, writable: bool) -> None:
    for path in [tree, *tree.rglob("*")]:
        if not path.is_symlink():
            mode = path.stat().st_mode
            path.chmod(mode | 0o200 if writable else mode & ~0o222)


def run_without_bytecode(names: list[str], *, repeats: int, progress: Callable[[str], None]
                         ) -> list[ImportResult]:
    """Baseline and the named functions imported with no bytecode available (see the module docstring)."""
    targets = {"baseline": BASELINE, **{name: f"functions.{name}.index" for name in names}}
    tree = _bytecode_free_tree(list(targets.values()))
    try:
        samples: dict[str, list[dict]] = {name: [] for name in targets}
        for r in range(repeats):
            for name, target in targets.items():
                samples[name].append(_measure(target, tree))
            progress(f"imports without bytecode: round {r + 1}/{repeats}")
    finally:
        _chmod(tree, writable=True)
        shutil.rmtree(tree, ignore_errors=True)
    results = []
    for name, runs in samples.items():
        times = [s["cpu"] * 1000 for s in runs]
        results.append(ImportResult(name, statistics.median(times), min(times), runs[-1]["modules"], runs[-1]["pdf"],
                                    wall_ms=statistics.median(s["s"] * 1000 for s in runs), runs=len(runs)))
    for res in results:
        res.ratio = res.median_ms / results[0].median_ms
    return results


def run(*, repeats: int, progress: Callable[[str], None]) -> list[ImportResult]:
    """The baseline first, then the reference row, then every function."""
    targets = {"baseline": BASELINE, WITH_DIALECT[0]: WITH_DIALECT[1],
               **{name: f"functions.{name}.index" for name in functions()}}
    samples: dict[str, list[dict]] = {name: [] for name in targets}
    _measure(BASELINE)  # warm the page cache and bytecode caches once
    for name, target in targets.items():
        if name != "baseline":
            _measure(target)
    order = list(targets.items())
    for r in range(repeats):
        for name, target in order[r % len(order):] + order[:r % len(order)]:  # rotate: no fixed position
            samples[name].append(_measure(target))
        progress(f"imports: round {r + 1}/{repeats}")
    results = []
    for name, runs in samples.items():
        times = [s["cpu"] * 1000 for s in runs]
        results.append(ImportResult(name, statistics.median(times), min(times), runs[-1]["modules"],
                                    runs[-1]["pdf"], wall_ms=statistics.median(s["s"] * 1000 for s in runs),
                                    runs=len(runs)))
    base = results[0]
    for res in results:
        res.ratio, res.min_ratio = res.median_ms / base.median_ms, res.min_ms / base.min_ms
        if not res.name.startswith("baseline") and not res.meets_goal:
            res.heavy = heaviest_beyond_baseline(targets[res.name])
    return results
