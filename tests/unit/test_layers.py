"""The dependency layers: which function needs which, what goes in them, and the rules `make package` applies.

A function must list codelink-reports when any module it can reach imports a package only that layer holds. The
reach is computed from the source (every import, including the lazy ones inside functions and the module paths
handed to importlib as strings), so adding `functions/reports` that imports `shared.reports` — which imports fpdf
— fails here until serverless.yml lists the layer for it.
"""

from __future__ import annotations

import importlib.metadata as metadata
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from infra.deploy.check import import_graph, layer_problems, reachable, reports_only_modules
from infra.local.manifest import DEFAULT_PATH, MIGRATE_PATH, ROOT, load_manifest, parse_manifest
from infra.package import LAYERS, copy_layer_data, read_requirements, strip_tests


def test_reports_only_packages_are_the_expected_ones() -> None:
    modules = reports_only_modules()
    assert {"fpdf", "boto3", "botocore", "segno", "PIL", "fontTools"} <= modules
    # What every function needs is in core, never only in reports.
    assert not modules & {"requests", "cryptography", "urllib3", "sqlalchemy", "pydantic", "wechatpy"}


def test_a_function_that_can_reach_a_reports_package_lists_the_reports_layer() -> None:
    assert layer_problems([load_manifest(DEFAULT_PATH), load_manifest(MIGRATE_PATH)]) == []


def test_a_reports_function_without_the_reports_layer_is_refused(tmp_path: Path, monkeypatch) -> None:
    """The future `functions/reports`: its module imports fpdf; with only core listed, the check names the fix."""
    import infra.deploy.check as check

    graph = import_graph()
    graph["functions.reports.index"] = {"shared.runtime", "shared.reports.render"}
    graph["shared.reports.render"] = {"fpdf", "segno"}
    monkeypatch.setattr(check, "import_graph", lambda root=None: graph)
    manifest = parse_manifest({"component": "multi-scf", "inputs": {"functions": {
        "reports": {"handler": "scf_reports.main_handler", "layers": [{"name": "codelink-core", "version": 1}]},
        "tasks": {"handler": "scf_tasks.main_handler",
                  "layers": [{"name": "codelink-core", "version": 1}, {"name": "codelink-reports", "version": 1}]},
    }}})
    problems = layer_problems([manifest])
    assert any("reports can import ['fpdf', 'segno']: list codelink-reports" in p for p in problems)
    assert any("tasks mounts codelink-reports but imports nothing from it" in p for p in problems)


def test_the_reach_follows_lazy_imports_and_module_strings() -> None:
    graph = import_graph()
    reached = reachable(graph, "functions.jobs_worker.index")
    assert "shared.payments.refunds" in reached  # only named as a string handed to importlib
    assert "wechatpayv3" in reached  # imported inside a method of shared.adapters.wechatpay


def test_layers_table() -> None:
    assert list(LAYERS) == ["codelink-core", "codelink-reports"]
    assert LAYERS["codelink-core"].on_top_of is None
    assert LAYERS["codelink-reports"].on_top_of == "codelink-core"
    core = {canonicalize_name(r.name) for r in read_requirements(LAYERS["codelink-core"].requirements)}
    reports = {canonicalize_name(r.name) for r in read_requirements(LAYERS["codelink-reports"].requirements)}
    assert not core & reports
    assert {"fpdf2", "boto3", "segno"} <= reports and not {"fpdf2", "boto3"} & core


def test_wechatpayv3_is_pinned_exactly() -> None:
    """The adapter sets wechatpayv3's private `_core._gate_way`: an upgrade must be a decision, not a resolve."""
    (requirement,) = [r for r in read_requirements(ROOT / "requirements.txt") if r.name == "wechatpayv3"]
    (spec,) = requirement.specifier
    assert spec.operator == "==" and spec.version == metadata.version("wechatpayv3")


def test_strip_tests_leaves_no_tests_or_test_data(tmp_path: Path) -> None:
    files = ["lib/__init__.py", "lib/core.py", "lib/tests/test_core.py", "lib/tests/data/sample.bin",
             "lib/test/__init__.py", "lib/sub/test_helpers.py", "lib/sub/conftest.py", "lib/sub/thing_test.py",
             "lib/testing_tools.py", "other/testdata/x.json", "lib/contest.py", "lib/_rust/test_support.pyi"]
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    removed = strip_tests(tmp_path)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["lib/__init__.py", "lib/contest.py", "lib/core.py", "lib/testing_tools.py"]
    assert removed == len(files) - len(left)


def test_fonts_are_copied_into_the_reports_layer_and_nothing_else(tmp_path: Path) -> None:
    source = tmp_path / "fonts-src"
    source.mkdir()
    for name in ("NotoSansSC-GB2312.ttf", "OFL-NotoSansCJK.txt", "Han.otf", "fonts.json", "README.md", "x.json"):
        (source / name).write_bytes(b"\0")
    spec = LAYERS["codelink-reports"].__class__("r", Path("r.txt"), data=(("fonts", source),))
    layer = tmp_path / "layer"
    assert copy_layer_data(spec, layer) == 4
    assert sorted(p.name for p in (layer / "fonts").iterdir()) == [
        "Han.otf", "NotoSansSC-GB2312.ttf", "OFL-NotoSansCJK.txt", "fonts.json"]


def test_the_code_package_holds_the_migrate_function_and_its_migrations(tmp_path: Path) -> None:
    from infra.package import build_code

    stage = tmp_path / "scf"
    build_code(ROOT, [load_manifest(DEFAULT_PATH), load_manifest(MIGRATE_PATH)], stage)
    assert (stage / "scf_migrate.py").is_file() and (stage / "scf_auth.py").is_file()
    assert (stage / "infra" / "migrate.py").is_file() and (stage / "infra" / "__init__.py").is_file()
    shipped = sorted(p.name for p in (stage / "infra" / "migrations").glob("*.sql"))
    assert shipped == sorted(p.name for p in (ROOT / "infra" / "migrations").glob("*.sql"))
    assert not (stage / "infra" / "local").exists() and not (stage / "infra" / "fakes").exists()


@pytest.mark.parametrize("zip_name", ["codelink-core.zip", "codelink-reports.zip"])
def test_built_layers_hold_no_tests_and_ship_bytecode(zip_name: str) -> None:
    """On the last `make package` output, when there is one (make package needs PyPI; make test does not)."""
    path = ROOT / "build" / "layers" / zip_name
    if not path.is_file():
        pytest.skip("no build/layers (run make package)")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    assert not [n for n in names if "/tests/" in n or n.rsplit("/", 1)[-1].startswith("test_")]
    sources = {n for n in names if n.endswith(".py")}
    compiled = {n for n in names if n.endswith(".pyc") and "/__pycache__/" in n}
    assert sources and len(compiled) >= 0.95 * len(sources)


def test_a_layer_over_45_mib_fails_the_build() -> None:
    from infra.package import LAYER_ZIP_BUDGET, MIB, budget_problems

    assert LAYER_ZIP_BUDGET == 45 * MIB
    assert budget_problems({"codelink-core": 21 * MIB, "codelink-reports": LAYER_ZIP_BUDGET}) == []
    [problem] = budget_problems({"codelink-core": 21 * MIB, "codelink-reports": LAYER_ZIP_BUDGET + 1})
    assert problem.startswith("codelink-reports.zip is 45.0 MiB, over the 45.0 MiB budget")


def test_everything_in_a_layer_is_compiled_for_python_310(tmp_path: Path) -> None:
    from infra.package import find_python310, precompile

    python310 = find_python310()
    if python310 is None:
        pytest.skip("no Python 3.10 here (PYTHON310=...)")
    for rel in ("requests/__init__.py", "requests/models.py", "wechatpy/client/base.py", "top_level.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("VALUE = 1\n")
    precompile(python310, [tmp_path])
    sources = sorted(tmp_path.rglob("*.py"))
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-310.pyc"
        assert compiled.is_file(), source
        # PEP 552 flags: bit 0 hash-based, bit 1 check_source unset: the read-only code is never re-checked.
        assert compiled.read_bytes()[4:8] == (1).to_bytes(4, "little")
