"""`make deploy-check`: everything about a deploy that can be verified without the cloud.

    python -m infra.deploy.check [--env-file prod.env]

1. Manifests ↔ code: both serverless.yml files parse, every function has its module, handler and TIMERS, the
   functions importing report libraries list the reports layer, all mount the same core layer version, and the
   custom domain routes every HTTP function.
2. What SCF will run, with realistic production values (infra/deploy/example.py) through multi-scf's own input
   transformation (infra/deploy/multiscf.py): every function's settings validate in production and its environment
   fits in 4 KB.
3. The same with the real values, when there are any: the deploying shell (or --env-file, KEY=VALUE lines) holding
   ENVIRONMENT=production. Every `${env:X}` must be exported (an unset one would deploy as "undefined"), the
   deploy-time variables too, and each function's settings must pass the production checks. Values are never
   printed.
4. The built package, when build/ exists: not older than the sources, entry modules and bytecode present, each
   layer within its budget.

Exit status 1 when anything fails. docs/DEPLOY.md runs it before every deploy.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import importlib.metadata as metadata
import os
import re
import sys
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from infra.deploy import multiscf
from infra.local.manifest import DEFAULT_PATH, MIGRATE_PATH, ROOT, Manifest, load_manifest

# Read by `scf deploy` itself (serverless.yml), never by a function.
DEPLOY_TIME_VARIABLES = ("STAGE", "TENCENT_REGION", "FUNCTIONS_NAMESPACE", "CODELINK_ROLE", "VPC_ID", "SUBNET_ID",
                         "CLS_LOGSET_ID", "CLS_TOPIC_ID")
CLI_CREDENTIALS = ("TENCENT_SECRET_ID", "TENCENT_SECRET_KEY")
MANIFESTS = (DEFAULT_PATH, MIGRATE_PATH)
_MODULE_STRING = re.compile(r"^(shared|functions)(\.\w+)+$")


class Report:
    def __init__(self) -> None:
        self.failures = 0

    def ok(self, message: str) -> None:
        print(f"  ok    {message}")

    def fail(self, message: str) -> None:
        self.failures += 1
        print(f"  FAIL  {message}")

    def check(self, condition: bool, message: str, failure: str | None = None) -> None:
        if condition:
            self.ok(message)
        else:
            self.fail(failure or message)


# --------------------------------------------------------------------------------------------------- layers


def _distribution_closure(requirements: list[Requirement]) -> set[str]:
    seen: set[str] = set()
    queue = list(requirements)
    while queue:
        requirement = queue.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        queue.extend(Requirement(r) for r in metadata.requires(requirement.name) or [])
    return seen


def _top_level_modules(distribution: str) -> set[str]:
    dist = metadata.distribution(distribution)
    text = dist.read_text("top_level.txt")
    if text:
        return {line.strip() for line in text.splitlines() if line.strip()}
    names = set()
    for file in dist.files or []:
        first = file.parts[0]
        if first.endswith((".dist-info", ".data")) or first == "..":
            continue
        names.add(first[:-3] if first.endswith(".py") else first)
    return names


def reports_only_modules() -> set[str]:
    """Top-level modules only the reports layer provides (from the installed distributions' metadata)."""
    from infra.package import LAYERS, read_requirements

    core = _distribution_closure(read_requirements(LAYERS["codelink-core"].requirements))
    reports = _distribution_closure(read_requirements(LAYERS["codelink-reports"].requirements))
    return {module for dist in reports - core for module in _top_level_modules(dist)}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """module -> every module it imports: absolute imports anywhere in the file (lazy ones inside functions
    included) and module paths written as strings (handed to importlib, e.g. the jobs worker's handlers)."""
    graph: dict[str, set[str]] = {}
    for package in ("shared", "functions"):
        for path in (root / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names: set[str] = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module)
                    names.update(f"{node.module}.{alias.name}" for alias in node.names)
                elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
                      and _MODULE_STRING.match(node.value)):
                    names.add(node.value)
            graph[_module_name(path)] = names
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module `start` can import, ours and third-party (top-level names of the latter included as given)."""
    seen: set[str] = set()
    stack = [start]
    while stack:
        module = stack.pop()
        if module in seen:
            continue
        seen.add(module)
        for name in graph.get(module, ()):
            # `from shared.a import b` names shared.a.b: a module, or an attribute of shared.a.
            stack.extend(c for c in (name, name.rsplit(".", 1)[0]) if c in graph and c not in seen)
            if name.split(".")[0] not in ("shared", "functions"):
                seen.add(name)
    return seen


def layer_problems(manifests: list[Manifest]) -> list[str]:
    from infra.package import LAYERS

    problems = []
    graph = import_graph()
    reports_only = reports_only_modules()
    for manifest in manifests:
        for name, spec in manifest.functions.items():
            if not spec.layers or spec.layers[0] != "codelink-core":
                problems.append(f"function {name}: codelink-core must be its first layer, got {list(spec.layers)}")
            unknown = [layer for layer in spec.layers if layer not in LAYERS]
            if unknown:
                problems.append(f"function {name}: layers {unknown} are not built by infra/package.py")
            needs = sorted({m for m in reachable(graph, f"functions.{name}.index") if m.split(".")[0] in reports_only})
            if needs and "codelink-reports" not in spec.layers:
                problems.append(f"function {name} can import {needs}: list codelink-reports in its layers")
            if not needs and "codelink-reports" in spec.layers:
                problems.append(f"function {name} mounts codelink-reports but imports nothing from it")
    return problems


# --------------------------------------------------------------------------------------------------- settings


@contextlib.contextmanager
def function_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """os.environ as SCF gives it to one function: its variables plus stand-ins for the role's credentials."""
    from infra.deploy.example import role_environment
    from shared.config import DEPLOYER_VARIABLES, Settings

    saved = dict(os.environ)
    try:
        for name in list(os.environ):
            if name.lower() in Settings.model_fields or name in DEPLOYER_VARIABLES:
                del os.environ[name]
        os.environ.update({**variables, **role_environment()})
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def local_settings() -> Iterator[None]:
    from shared.config import reset_settings

    saved = os.environ.get("ENVIRONMENT")
    os.environ["ENVIRONMENT"] = "local"
    reset_settings()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["ENVIRONMENT"]
        else:
            os.environ["ENVIRONMENT"] = saved
        reset_settings()


def settings_problems(variables: Mapping[str, str]) -> list[str]:
    from pydantic import ValidationError

    from shared.config import Settings

    with function_environment(variables):
        try:
            Settings()
        except ValidationError as exc:
            return [str(error.get("msg", error)).removeprefix("Value error, ") for error in exc.errors()]
    return []


def check_deployment(report: Report, documents: list[dict[str, Any]], env: Mapping[str, str], label: str) -> None:
    """What SCF will run with the shell `env`: settings valid in production, environment within 4 KB."""
    deployed: dict[str, dict[str, Any]] = {}
    for document in documents:
        deployed.update(multiscf.deployed_functions(document, env))
    largest = 0
    for name, params in sorted(deployed.items()):
        variables = multiscf.variables(params)
        size = multiscf.environment_bytes(variables)
        largest = max(largest, size)
        if size > multiscf.ENVIRONMENT_LIMIT_BYTES:
            report.fail(f"{label}: function {name}'s environment is {size} bytes, over SCF's 4 KB")
        problems = settings_problems(variables)
        for problem in problems:
            report.fail(f"{label}: function {name}: {problem}")
    report.ok(f"{label}: {len(deployed)} functions, largest environment {largest} of "
              f"{multiscf.ENVIRONMENT_LIMIT_BYTES} bytes")


# --------------------------------------------------------------------------------------------------- build


def build_problems(manifests: list[Manifest], build: Path) -> list[str]:
    from infra.package import CODE_DIRS, LAYER_ZIP_BUDGET, LAYERS

    problems = []
    stage = build / "scf"
    for manifest in manifests:
        for name in manifest.functions:
            if not (stage / f"scf_{name}.py").is_file():
                problems.append(f"build/scf has no scf_{name}.py: run make package")
    stale = []
    for directory in CODE_DIRS:
        for source in (ROOT / directory).rglob("*.py"):
            if "__pycache__" in source.parts:
                continue
            built = stage / source.relative_to(ROOT)
            if not built.is_file() or built.read_bytes() != source.read_bytes():
                stale.append(source.relative_to(ROOT).as_posix())
    if stale:
        problems.append(f"build/scf is older than the sources ({len(stale)} files, e.g. {stale[0]}): run make package")
    if not any(stage.rglob("*.cpython-310.pyc")):
        problems.append("build/scf holds no Python 3.10 bytecode: run make package with a Python 3.10 (PYTHON310=)")
    for layer in LAYERS:
        path = build / "layers" / f"{layer}.zip"
        if not path.is_file():
            problems.append(f"build/layers/{layer}.zip is missing: run make package")
            continue
        if path.stat().st_size > LAYER_ZIP_BUDGET:
            problems.append(f"build/layers/{layer}.zip is over the {LAYER_ZIP_BUDGET // 2**20} MiB budget")
        with zipfile.ZipFile(path) as zf:
            if any("/tests/" in n for n in zf.namelist()):
                problems.append(f"build/layers/{layer}.zip holds tests")
    return problems


# --------------------------------------------------------------------------------------------------- main


def read_env_file(path: Path) -> dict[str, str]:
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def run(env: Mapping[str, str], build: Path = ROOT / "build") -> int:
    from infra.deploy.domain import endpoints
    from infra.deploy.example import production_environment

    report = Report()
    documents = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in MANIFESTS]
    manifests = [load_manifest(path) for path in MANIFESTS]

    print("manifest <-> code")
    for manifest in manifests:
        for name, spec in manifest.functions.items():
            try:
                with local_settings():  # importing runs bootstrap(): not with this shell's production values
                    module = importlib.import_module(spec.module)
            except Exception as exc:  # a function that cannot even be imported
                report.fail(f"function {name}: {spec.module} does not import: {exc!r}")
                continue
            declared = {t.name for t in spec.timers}
            exported = set(getattr(module, "TIMERS", {}))
            if declared != exported:
                report.fail(f"function {name}: timers {sorted(declared)} in serverless.yml, TIMERS {sorted(exported)}")
    on_disk = {p.parent.name for p in (ROOT / "functions").glob("*/index.py")}
    declared_functions = {n for m in manifests for n in m.functions}
    report.check(on_disk == declared_functions, f"{len(on_disk)} functions, each declared once with its module",
                 f"functions on disk {sorted(on_disk)} vs declared {sorted(declared_functions)}")
    problems = layer_problems(manifests)
    for problem in problems:
        report.fail(problem)
    if not problems:
        report.ok("layers: core first everywhere; codelink-reports exactly where report libraries are imported")
    versions = {str(item["version"]) for doc in documents for body in doc["inputs"]["functions"].values()
                for item in body.get("layers", []) if item["name"] == "codelink-core"}
    report.check(len(versions) == 1, f"one codelink-core version everywhere ({', '.join(versions)})",
                 f"codelink-core versions differ between functions: {sorted(versions)}")
    routed = {e["FunctionName"] for e in endpoints(manifests[0], namespace="x")}
    report.check(routed == set(manifests[0].http_functions), "the custom domain routes every HTTP function",
                 f"custom domain routes {sorted(routed)}, HTTP functions {sorted(manifests[0].http_functions)}")
    referenced = set().union(*(multiscf.env_references(doc) for doc in documents))
    from shared.config import Settings

    unknown = sorted(n for n in referenced if n.lower() not in Settings.model_fields
                     and n not in DEPLOY_TIME_VARIABLES)
    report.check(not unknown, "every ${env:X} is a setting or a deploy-time variable", f"unknown ${{env:}} {unknown}")

    print("production settings, realistic example values")
    example = {**production_environment(), **{name: f"example-{name.lower()}" for name in DEPLOY_TIME_VARIABLES},
               "TENCENT_REGION": "ap-shanghai"}
    check_deployment(report, documents, example, "example")

    print("production settings, the deploying shell's values")
    if env.get("ENVIRONMENT") != "production":
        print("  skip  ENVIRONMENT is not 'production' here: export the stage's variables or pass --env-file")
    else:
        missing = sorted(n for n in referenced if n not in env)
        for name in missing:
            report.fail(f"{name} is not exported: it would deploy as 'undefined'")
        for name in CLI_CREDENTIALS:
            if not env.get(name):
                print(f"  note  {name} is not set: the scf CLI will ask for a login")
        check_deployment(report, documents, env, "shell")

    print("build")
    if not (build / "scf").is_dir():
        print("  skip  no build/ here: run make package before deploying")
    else:
        problems = build_problems(manifests, build)
        for problem in problems:
            report.fail(problem)
        if not problems:
            report.ok("build/ matches the sources: entry modules, bytecode, layers within budget, no tests")
    print("deploy-check: " + ("all good" if not report.failures else f"{report.failures} problem(s)"))
    return 1 if report.failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env-file", type=Path, help="KEY=VALUE lines: the stage's exports (else this shell's)")
    parser.add_argument("--build", type=Path, default=ROOT / "build")
    args = parser.parse_args(argv)
    env = read_env_file(args.env_file) if args.env_file else dict(os.environ)
    return run(env, args.build)


if __name__ == "__main__":
    sys.exit(main())
