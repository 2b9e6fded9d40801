"""Build what `scf deploy` ships: the code package and the dependency layers.

    python -m infra.package [--out build] [--skip-layers]      (make package)

Outputs, under build/:
- scf/      the code package as a directory (multi-scf's `src`): functions/ and shared/ (plus infra/migrate.py and
            infra/migrations for the `migrate` function) without tests or caches, plus one root entry module per
            function, `scf_<name>.py` (see serverless.yml, "Handler form"), and Python 3.10 bytecode.
- code.zip  the same, zipped.
- layers/<name>.zip  one per entry of LAYERS, packages at the zip root: SCF unpacks layers to /opt and its Python
            runtime has PYTHONPATH=/var/user:/opt [cloud.tencent.com/document/product/583/52296], so a `python/`
            folder (AWS Lambda's layout) would not be importable.
    codelink-core     requirements.txt, for every function.
    codelink-reports  requirements-reports.txt minus what core already holds (in core's versions, so the two
                      layers mounted together never disagree), plus build/fonts (`make fonts`) -> fonts/ (/opt/fonts).
  A function lists its layers in serverless.yml; tests/unit/test_deploy_manifest.py and test_layers.py keep the
  lists, the imports and this table in step.

Each layer is made from wheels only: `pip download --only-binary=:all:` for CPython 3.10 on manylinux x86_64
(SCF's Python 3.10 runtime runs on CentOS 7, glibc 2.17 [tencentcloud.com/document/product/583/40325]), then
unzipped by us. Nothing is pip-installed with this interpreter (3.11 here), so no 3.11 build can slip in. pip
evaluates environment markers against the interpreter running it, not the target, so the dependency closure
is computed again here for Python 3.10 on Linux, and anything missing (e.g. `tomli; python_version < "3.11"`)
is fetched. Every compiled extension is then checked (cp310 or abi3, manylinux <= glibc 2.17, x86-64 ELF).
Tests and test data are left out (`tests/`, `test/` directories, test_*.py, conftest.py), everything that ships is
compiled to Python 3.10 bytecode, and, when a Python 3.10 is found, each function's entry module and the lazily
imported client libraries are imported from the built package and layers alone (an isolated interpreter: no
site-packages) to prove the layers are complete.

Limits checked (sizes in MiB):
- code zip <= 50: "only code packages below 50 MB in size can be uploaded"
  [tencentcloud.com/document/product/1040/39381]
- each layer zip <= 45, our budget under the 50 of the console's "Local ZIP file ... supports a maximum of 50 MB"
  [tencentcloud.com/document/product/583/34878] (bigger layers must go through COS): room to grow is kept on purpose
- code + the function's layers, unzipped, <= 500: "单个函数(版本)的代码压缩前体积 (包含绑定的层) 500MB"
  [cloud.tencent.com/document/product/583/11637]
"""

from __future__ import annotations

import argparse
import email.parser
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, NormalizedName, canonicalize_name, parse_wheel_filename

from infra.local.manifest import DEFAULT_PATH, ENTRY_PREFIX, MIGRATE_PATH, Manifest, load_manifest

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
CODE_ZIP_LIMIT = 50 * MIB
LAYER_ZIP_LIMIT = 50 * MIB
LAYER_ZIP_BUDGET = 45 * MIB  # `make package` fails above this: the limit is 50, and the next feature needs room
UNZIPPED_LIMIT = 500 * MIB

CODE_DIRS = ("functions", "shared")
# The `migrate` function's runner and the SQL it applies.
CODE_EXTRA = ("infra/__init__.py", "infra/migrate.py", "infra/migrations")
# What `make fonts` writes into build/fonts: the fonts, their licences and fonts.json (the build manifest
# shared/reports/fonts.py checks).
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".txt", "fonts.json")


@dataclass(frozen=True)
class LayerSpec:
    name: str
    requirements: Path
    data: tuple[tuple[str, Path], ...] = ()  # (directory in the layer, source directory) of non-Python files
    on_top_of: str | None = None  # a layer mounted with it: its packages are not repeated here
    smoke_imports: tuple[str, ...] = ()  # modules that must import from the built layers alone


LAYERS: dict[str, LayerSpec] = {
    "codelink-core": LayerSpec(
        "codelink-core", ROOT / "requirements.txt",
        # Imported lazily by the adapters (not by the entry modules): checked explicitly.
        smoke_imports=("psycopg2", "wechatpy", "wechatpayv3", "requests", "cryptography.hazmat.primitives.ciphers.aead",
                       "tencentcloud.sms.v20210111.sms_client", "tencentcloud.scf.v20180416.scf_client"),
    ),
    "codelink-reports": LayerSpec(
        "codelink-reports", ROOT / "requirements-reports.txt", data=(("fonts", ROOT / "build" / "fonts"),),
        on_top_of="codelink-core", smoke_imports=("fpdf", "boto3", "segno", "PIL.Image", "fontTools.subset"),
    ),
}
PYTHON_VERSION = "3.10"
PIP_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64")
MAX_GLIBC = (2, 17)
# PEP 508 marker environment of SCF's Python 3.10 runtime.
TARGET_ENV = {
    "implementation_name": "cpython",
    "implementation_version": "3.10.0",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Linux",
    "platform_version": "",
    "python_full_version": "3.10.0",
    "python_version": "3.10",
    "sys_platform": "linux",
}
# Legacy manylinux names and the glibc they stand for (PEP 513, 571, 599).
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same zip
ELF_MACHINE_X86_64 = 62


class PackageError(RuntimeError):
    pass


# --- wheel and extension checks (pure; tested on sample names) ---


def manylinux_glibc(platform: str) -> tuple[int, int] | None:
    """(major, minor) glibc of an x86_64 manylinux platform tag, None for anything else."""
    if not platform.endswith("_x86_64"):
        return None
    base = platform[: -len("_x86_64")]
    if base in _LEGACY_MANYLINUX:
        return _LEGACY_MANYLINUX[base]
    m = re.fullmatch(r"manylinux_(\d+)_(\d+)", base)
    return (int(m.group(1)), int(m.group(2))) if m else None


def tag_fits(tag: Tag) -> bool:
    """Can a wheel with this tag run on CPython 3.10, manylinux glibc <= 2.17, x86_64?"""
    interpreter, abi, platform = tag.interpreter, tag.abi, tag.platform
    m = re.fullmatch(r"(py|cp)3(\d*)", interpreter)
    if not m:
        return False
    minor = int(m.group(2)) if m.group(2) else 0
    if minor > 10:
        return False
    if platform == "any":
        return abi == "none"  # pure Python
    glibc = manylinux_glibc(platform)
    if glibc is None or glibc > MAX_GLIBC:
        return False
    if abi == "cp310":
        return interpreter == "cp310"
    if abi == "abi3":  # the stable ABI of CPython 3.x (x <= 10) runs on 3.10
        return interpreter.startswith("cp")
    return abi == "none"  # binaries that do not use the Python ABI


def check_wheel_filename(filename: str) -> str | None:
    """None when the wheel fits SCF's Python 3.10 runtime, else the reason it does not."""
    try:
        _, _, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        return f"{filename}: not a wheel file name ({exc})"
    if any(tag_fits(tag) for tag in tags):
        return None
    return f"{filename}: no tag for CPython 3.10 on manylinux (glibc <= 2.17) x86_64"


_CPYTHON_EXT = re.compile(r"\.cpython-(\d+)[a-z]*-(.+)\.so$")


def check_extension_filename(path: str) -> str | None:
    """None when a file name is acceptable in the layer, else why not. Only names are judged here."""
    name = path.rsplit("/", 1)[-1]
    if name.endswith((".pyd", ".dll", ".dylib")):
        return f"{path}: a Windows/macOS binary"
    m = _CPYTHON_EXT.search(name)
    if m:
        version, platform = m.groups()
        if version != "310":
            return f"{path}: built for CPython {version[0]}.{version[1:]}, SCF runs 3.10"
        if platform != "x86_64-linux-gnu":
            return f"{path}: built for {platform}, SCF runs x86_64-linux-gnu"
    return None  # name.abi3.so, _name.so, vendored libfoo-1234.so.5: the ELF check decides


def is_shared_object(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".so") or ".so." in name or name.endswith((".pyd", ".dll", ".dylib"))


def check_elf_header(path: str, head: bytes) -> str | None:
    """None for a 64-bit little-endian x86-64 ELF file, else why not (`head`: the first 20 bytes)."""
    if head[:4] != b"\x7fELF":
        return f"{path}: not an ELF file"
    if head[4] != 2 or head[5] != 1:
        return f"{path}: not 64-bit little-endian ELF"
    machine = int.from_bytes(head[18:20], "little")
    if machine != ELF_MACHINE_X86_64:
        return f"{path}: ELF machine {machine}, not x86-64 ({ELF_MACHINE_X86_64})"
    return None


# --- the dependency closure for the target runtime ---


@dataclass(frozen=True)
class Wheel:
    path: Path
    name: NormalizedName
    version: str
    requires: tuple[str, ...]  # Requires-Dist lines


def read_wheel(path: Path) -> Wheel:
    name, version, _, _ = parse_wheel_filename(path.name)
    with zipfile.ZipFile(path) as zf:
        metadata = next((n for n in zf.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1), None)
        if metadata is None:
            raise PackageError(f"{path.name}: no .dist-info/METADATA")
        message = email.parser.Parser().parsestr(zf.read(metadata).decode("utf-8"))
    return Wheel(path, name, str(version), tuple(message.get_all("Requires-Dist") or ()))


def read_requirements(path: Path) -> list[Requirement]:
    """requirements.txt lines as requirements (comments, blanks and pip options skipped)."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            out.append(Requirement(line))
        except InvalidRequirement as exc:
            raise PackageError(f"{path.name}: {line!r}: {exc}") from exc
    return out


def _applies(requirement: Requirement, extras: Iterable[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**TARGET_ENV, "extra": extra}) for extra in ("", *extras))


def resolve_closure(
    requirements: Iterable[Requirement], wheels: dict[NormalizedName, Wheel]
) -> tuple[dict[NormalizedName, Wheel], list[Requirement]]:
    """The wheels Python 3.10 on Linux needs, and the requirements no wheel satisfies (missing)."""
    needed: dict[NormalizedName, Wheel] = {}
    missing: list[Requirement] = []
    seen: set[tuple[NormalizedName, frozenset[str]]] = set()
    queue: deque[tuple[Requirement, frozenset[str]]] = deque((r, frozenset()) for r in requirements)
    while queue:
        requirement, parent_extras = queue.popleft()
        if not _applies(requirement, parent_extras):
            continue
        name = canonicalize_name(requirement.name)
        extras = frozenset(requirement.extras)
        wheel = wheels.get(name)
        if wheel is None or not requirement.specifier.contains(wheel.version, prereleases=True):
            missing.append(requirement)
            continue
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        needed[name] = wheel
        for line in wheel.requires:
            queue.append((Requirement(line), extras))
    return needed, missing


# --- building ---


def pip_download(args: list[str], dest: Path) -> None:
    command = [
        sys.executable, "-m", "pip", "download", *args,
        "--only-binary=:all:",
        *(arg for platform in PIP_PLATFORMS for arg in ("--platform", platform)),
        "--python-version", PYTHON_VERSION,
        "--implementation", "cp",
        "--abi", "cp310",
        "--dest", str(dest),
        "--disable-pip-version-check",
        "--progress-bar", "off",
    ]  # fmt: skip
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True)  # noqa: S603 (our own argv, no shell)


def collect_wheels(requirements_file: Path, wheel_dir: Path,
                   constraints: dict[NormalizedName, Wheel] | None = None) -> dict[NormalizedName, Wheel]:
    """Download the wheels and return the closure SCF's runtime needs. `constraints`: wheels of a layer this one is
    mounted with; shared dependencies are taken in exactly their versions (and left out of the result)."""
    if wheel_dir.exists():
        shutil.rmtree(wheel_dir)  # a fresh directory: no stale versions (pip's own cache keeps this cheap)
    wheel_dir.mkdir(parents=True)
    pin_args: list[str] = []
    if constraints:
        pins = wheel_dir.parent / f"{wheel_dir.name}-constraints.txt"
        pins.write_text("".join(f"{w.name}=={w.version}\n" for w in constraints.values()), encoding="utf-8")
        pin_args = ["-c", str(pins)]
    pip_download(["-r", str(requirements_file), *pin_args], wheel_dir)
    top_level = read_requirements(requirements_file)
    for _ in range(5):
        wheels = {w.name: w for w in map(read_wheel, sorted(wheel_dir.glob("*.whl")))}
        needed, missing = resolve_closure(top_level, {**wheels, **(constraints or {})})
        if not missing:
            for name in sorted(set(wheels) - set(needed) - set(constraints or {})):
                print(f"  not needed on Python {PYTHON_VERSION}, left out: {wheels[name].path.name}")
            return {name: wheel for name, wheel in needed.items() if name not in (constraints or {})}
        print("  needed on Python 3.10 but not downloaded:", ", ".join(map(str, missing)))
        specs = sorted({f"{r.name}{r.specifier}" for r in missing})
        pip_download(["--no-deps", *specs, *pin_args], wheel_dir)
    raise PackageError("the dependency closure did not settle after 5 rounds")


def unpack_wheel(wheel: Path, dest: Path) -> None:
    """Unzip a wheel the way an installer lays it out: `<dist>.data/purelib|platlib/` go to the root."""
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir():
                continue
            parts = name.split("/")
            if name.startswith("/") or ".." in parts:
                raise PackageError(f"{wheel.name}: unsafe path {name!r}")
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue  # scripts, headers, data: not importable, not needed in a layer
                parts = parts[2:]
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode | 0o444)


def check_layer(layer_dir: Path, wheels: Iterable[Wheel]) -> list[str]:
    problems = [p for p in (check_wheel_filename(w.path.name) for w in wheels) if p]
    for path in sorted(layer_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(layer_dir).as_posix()
        if not is_shared_object(rel):
            continue
        problem = check_extension_filename(rel)
        if problem is None:
            with open(path, "rb") as fh:
                problem = check_elf_header(rel, fh.read(20))
        if problem:
            problems.append(problem)
    return problems


_TEST_DIRS = ("tests", "test", "testing_data", "test_data", "testdata")


def strip_tests(layer_dir: Path) -> int:
    """Remove tests, test data and type stubs from an unpacked layer (never imported by the functions); return the
    number of files removed."""
    removed = 0
    for path in sorted(layer_dir.rglob("*"), key=lambda p: len(p.parts)):
        if not path.exists():
            continue  # inside a directory removed already
        rel = path.relative_to(layer_dir)
        if path.is_dir() and len(rel.parts) > 1 and path.name.lower() in _TEST_DIRS:
            removed += sum(1 for p in path.rglob("*") if p.is_file())
            shutil.rmtree(path)
        elif path.is_file() and (path.name == "conftest.py" or path.suffix == ".pyi"  # stubs: never imported
                                 or (path.name.startswith("test_") and path.suffix == ".py")
                                 or path.name.endswith("_test.py")):
            path.unlink()
            removed += 1
    return removed


def copy_layer_data(spec: LayerSpec, layer_dir: Path) -> int:
    """Copy a layer's data files (fonts and their licences); return how many."""
    copied = 0
    for target, source in spec.data:
        if not source.is_dir():
            continue
        for path in sorted(source.iterdir()):
            if path.is_file() and path.name.endswith(FONT_SUFFIXES):
                (layer_dir / target).mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, layer_dir / target / path.name)
                copied += 1
    return copied


def _skip(path: Path) -> bool:
    name = path.name
    return (
        name in ("__pycache__", "tests", "conftest.py", ".pytest_cache", ".mypy_cache")
        or name.endswith((".pyc", ".pyo"))
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith("_test.py")
    )


def copy_sources(src: Path, dest: Path) -> None:
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if any(_skip(Path(part)) for part in rel.parts):
            continue
        target = dest / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def entry_module_source(function: str) -> str:
    return (
        "# Generated by infra/package.py: SCF wants the handler's file at the code package root, see the\n"
        "# 'Handler form' note in serverless.yml. Importing here runs in SCF's init phase.\n"
        f"from functions.{function}.index import main_handler\n"
        "\n"
        '__all__ = ["main_handler"]\n'
    )


def build_code(root: Path, manifests: Manifest | Iterable[Manifest], stage_dir: Path) -> None:
    manifests = [manifests] if isinstance(manifests, Manifest) else list(manifests)
    functions = {name: spec for manifest in manifests for name, spec in manifest.functions.items()}
    missing = [n for n in functions if not (root / "functions" / n / "index.py").is_file()]
    if missing:
        raise PackageError(f"serverless.yml declares functions without functions/<name>/index.py: {missing}")
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    stage_dir.mkdir(parents=True)
    for directory in CODE_DIRS:
        copy_sources(root / directory, stage_dir / directory)
    for extra in CODE_EXTRA:
        source = root / extra
        if source.is_dir():
            copy_sources(source, stage_dir / extra)
        elif source.is_file():
            (stage_dir / extra).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, stage_dir / extra)
    for name, spec in functions.items():
        entry = f"{ENTRY_PREFIX}{name}"
        if spec.entry_module != entry:
            raise PackageError(f"function {name}: handler {spec.handler} does not name {entry}.py")
        (stage_dir / f"{entry}.py").write_text(entry_module_source(name), encoding="utf-8")


# Bytecode. SCF's code and layer directories are read-only, so a module with no .pyc next to it is compiled again at
# every cold start: the database and validation libraries alone then import in ~2.2 s instead of ~0.6 s
# (docs/BENCHMARKS.md). Everything that ships is compiled by Python 3.10 (the runtime's magic number) in
# unchecked-hash mode (no source mtime check): our code and every package of every layer, requests and wechatpy
# included. With the dependencies split into layers, each stays within its budget with its bytecode.


def find_python310() -> str | None:
    """A Python 3.10 to compile with: $PYTHON310, `python3.10` on PATH, or a pyenv 3.10."""
    candidates: list[tuple[str, dict[str, str]]] = []
    if os.environ.get("PYTHON310"):
        candidates.append((os.environ["PYTHON310"], {}))
    exe = shutil.which("python3.10")
    if exe:
        candidates.append((exe, {}))
        pyenv = shutil.which("pyenv")
        if pyenv:
            versions = subprocess.run([pyenv, "versions", "--bare"],  # noqa: S603 - the developer's own pyenv
                                      capture_output=True, text=True, check=False)
            candidates += [(exe, {"PYENV_VERSION": v.strip()}) for v in versions.stdout.split()
                           if v.strip().startswith("3.10")]
    for path, extra in candidates:
        probe = subprocess.run([path, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],  # noqa: S603
                               capture_output=True, text=True, env={**os.environ, **extra}, check=False)
        if probe.stdout.strip() == "True":
            if extra:
                os.environ.update(extra)  # the pyenv shim needs it for the compile run too
            return path
    return None


def precompile(python310: str, paths: Iterable[Path]) -> None:
    targets = [str(p) for p in paths if p.exists()]
    if targets:
        subprocess.run([python310, "-m", "compileall", "-q", "-j", "0",  # noqa: S603 - a local Python 3.10
                        "--invalidation-mode", "unchecked-hash",
                        *targets], check=True, stdout=subprocess.DEVNULL)


def zip_dir(src: Path, zip_path: Path) -> tuple[int, int]:
    """Zip a directory (sorted, fixed timestamps) and return (zip size, unzipped size) in bytes."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    unzipped = 0
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(src.rglob("*")):
            if not path.is_file():
                continue
            info = zipfile.ZipInfo(path.relative_to(src).as_posix(), _ZIP_DATE)
            info.external_attr = (path.stat().st_mode & 0o777 | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            unzipped += len(data)
            zf.writestr(info, data, compresslevel=9)
    return zip_path.stat().st_size, unzipped


def _mib(n: int) -> str:
    return f"{n / MIB:.1f} MiB"


def import_smoke(python310: str, paths: list[Path], modules: Iterable[str]) -> str | None:
    """Import `modules` with Python 3.10 from `paths` only (-S: no site-packages, -I: no PYTHONPATH, no user site),
    as SCF will: the entry module of each function (which runs bootstrap() with development settings, no
    network) and the libraries the adapters import lazily. None when all import, else the error."""
    code = (
        "import importlib, sys\n"
        f"sys.path[:0] = {[str(p) for p in paths]!r}\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
    )
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "PYENV_VERSION", "PYENV_ROOT", "LANG")}
    env["ENVIRONMENT"] = "local"
    result = subprocess.run([python310, "-S", "-I", "-c", code],  # noqa: S603 - a local Python 3.10, our code
                            capture_output=True, text=True, env=env, check=False)
    return None if result.returncode == 0 else (result.stderr.strip().splitlines() or ["failed"])[-1]


def build_layer(spec: LayerSpec, out: Path, python310: str | None,
                built: dict[str, dict[NormalizedName, Wheel]]) -> tuple[int, int]:
    """Download, unpack, strip, compile, check and zip one layer; return (zip size, unzipped size)."""
    below = built.get(spec.on_top_of) if spec.on_top_of else None
    wheels = collect_wheels(spec.requirements, out / "wheels" / spec.name, constraints=below)
    built[spec.name] = {**(below or {}), **wheels}
    layer_dir = out / "layers" / spec.name
    if layer_dir.exists():
        shutil.rmtree(layer_dir)
    layer_dir.mkdir(parents=True)
    for wheel in sorted(wheels.values(), key=lambda w: w.name):
        unpack_wheel(wheel.path, layer_dir)
    stripped = strip_tests(layer_dir)
    data = copy_layer_data(spec, layer_dir)
    if python310:
        precompile(python310, [layer_dir])
    problems = check_layer(layer_dir, wheels.values())
    if problems:
        raise PackageError(f"{spec.name} has binaries SCF's Python 3.10 cannot load:\n  " + "\n  ".join(problems))
    layer_zip, layer_raw = zip_dir(layer_dir, out / "layers" / f"{spec.name}.zip")
    print(f"{spec.name + '.zip':<22} {_mib(layer_zip):>9} zipped (budget {_mib(LAYER_ZIP_BUDGET)}, limit "
          f"{_mib(LAYER_ZIP_LIMIT)}), {_mib(layer_raw)} unzipped: {len(wheels)} wheels, {data} data files, "
          f"{stripped} test files left out")
    return layer_zip, layer_raw


def budget_problems(zipped: dict[str, int]) -> list[str]:
    """Layers over the budget: each layer zip must stay at or under LAYER_ZIP_BUDGET."""
    return [f"{name}.zip is {_mib(size)}, over the {_mib(LAYER_ZIP_BUDGET)} budget: split it or move what only some "
            "functions need to another layer" for name, size in zipped.items() if size > LAYER_ZIP_BUDGET]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build build/code.zip and build/layers/*.zip for SCF.")
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument("--skip-layers", action="store_true", help="only the code package")
    args = parser.parse_args(argv)
    out: Path = args.out

    over: list[str] = []
    try:
        manifests = [load_manifest(DEFAULT_PATH), load_manifest(MIGRATE_PATH)]
        build_code(ROOT, manifests, out / "scf")
        python310 = find_python310()
        if python310:
            precompile(python310, [out / "scf"])
        else:
            print("warning: no Python 3.10 found (set PYTHON310=...): the packages ship without bytecode and every "
                  "cold start compiles them (~3x slower imports)", file=sys.stderr)
        code_zip, code_raw = zip_dir(out / "scf", out / "code.zip")
        print(f"{'code.zip':<22} {_mib(code_zip):>9} zipped (limit {_mib(CODE_ZIP_LIMIT)}), {_mib(code_raw)} unzipped")
        if code_zip > CODE_ZIP_LIMIT:
            over.append("code.zip is over the 50 MB upload limit")
        if args.skip_layers:
            return 1 if over else 0
        sizes: dict[str, int] = {}
        zipped: dict[str, int] = {}
        built: dict[str, dict[NormalizedName, Wheel]] = {}
        for spec in LAYERS.values():
            zipped[spec.name], sizes[spec.name] = build_layer(spec, out, python310, built)
        over += budget_problems(zipped)
        for manifest in manifests:
            for name, function in manifest.functions.items():
                unknown = [layer for layer in function.layers if layer not in LAYERS]
                if unknown:
                    over.append(f"function {name} lists layers that are not built: {unknown}")
                    continue
                total = code_raw + sum(sizes[layer] for layer in function.layers)
                if total > UNZIPPED_LIMIT:
                    over.append(f"function {name}: code + layers unzipped is {_mib(total)}, over SCF's 500 MB")
                if python310:
                    paths = [out / "scf", *(out / "layers" / layer for layer in function.layers)]
                    modules = [f"{ENTRY_PREFIX}{name}"] + [m for layer in function.layers
                                                          for m in LAYERS[layer].smoke_imports]
                    failure = import_smoke(python310, paths, modules)
                    if failure:
                        over.append(f"function {name} does not import from its code and layers "
                                    f"{list(function.layers)}: {failure}")
        largest = max(code_raw + sum(sizes[layer] for layer in f.layers)
                      for m in manifests for f in m.functions.values())
        print(f"{'largest function':<22} {_mib(largest):>9} unzipped, code + its layers (limit {_mib(UNZIPPED_LIMIT)})")
    except (PackageError, subprocess.CalledProcessError) as exc:
        print(f"package failed: {exc}", file=sys.stderr)
        return 1
    if over:
        print("over SCF's limits or our budget:", *over, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
