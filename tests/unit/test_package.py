"""infra/package.py without the network: wheel-tag and binary checks, the target closure, the code package."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from infra.local.manifest import parse_manifest
from infra.package import (
    PackageError,
    build_code,
    check_elf_header,
    check_extension_filename,
    check_wheel_filename,
    read_requirements,
    read_wheel,
    resolve_closure,
    unpack_wheel,
    zip_dir,
)


@pytest.mark.parametrize(
    "filename",
    [
        "requests-2.32.3-py3-none-any.whl",
        "six-1.17.0-py2.py3-none-any.whl",
        "pydantic_core-2.27.2-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "psycopg2_binary-2.9.10-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        # several platform tags, one of them old enough
        "sqlalchemy-2.0.36-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl",
        "charset_normalizer-3.4.1-cp310-cp310-manylinux1_x86_64.manylinux_2_5_x86_64.whl",
        # the stable ABI from an older CPython runs on 3.10
        "cryptography-44.0.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "cryptography-44.0.0-cp37-abi3-manylinux2010_x86_64.whl",
        # binaries without the Python ABI
        "ruff-0.8.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ],
)
def test_wheels_that_fit_scf_python310(filename: str) -> None:
    assert check_wheel_filename(filename) is None


@pytest.mark.parametrize(
    "filename",
    [
        "pydantic_core-2.27.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",  # 3.11 build
        "pydantic_core-2.27.2-cp39-cp39-manylinux_2_17_x86_64.whl",  # 3.9 ABI
        "pillow-11.0.0-cp310-cp310-manylinux_2_28_x86_64.whl",  # needs glibc 2.28, SCF has 2.17
        "pillow-11.0.0-cp310-cp310-musllinux_1_2_x86_64.whl",
        "pillow-11.0.0-cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        "pillow-11.0.0-cp310-cp310-macosx_11_0_arm64.whl",
        "pillow-11.0.0-cp310-cp310-win_amd64.whl",
        "foo-1.0-cp310-cp310-linux_x86_64.whl",  # a local build, not manylinux
        "foo-1.0-cp312-abi3-manylinux_2_17_x86_64.whl",  # abi3 but needs CPython 3.12+
        "foo-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl",
        "foo-1.0-py2-none-any.whl",
        "foo-1.0.tar.gz",
    ],
)
def test_wheels_that_do_not_fit(filename: str) -> None:
    assert check_wheel_filename(filename) is not None


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("pydantic_core/_pydantic_core.cpython-310-x86_64-linux-gnu.so", True),
        ("cryptography/hazmat/bindings/_rust.abi3.so", True),
        ("psycopg2_binary.libs/libpq-9b9f3d2b.so.5.17", True),
        ("greenlet/_greenlet.cpython-311-x86_64-linux-gnu.so", False),
        ("greenlet/_greenlet.cpython-310-aarch64-linux-gnu.so", False),
        ("greenlet/_greenlet.cpython-310-darwin.so", False),
        ("greenlet/_greenlet.cp310-win_amd64.pyd", False),
        ("foo/libbar.dylib", False),
    ],
)
def test_extension_file_names(path: str, ok: bool) -> None:
    assert (check_extension_filename(path) is None) is ok


def _elf(elf_class: int, data: int, machine: int) -> bytes:
    return b"\x7fELF" + bytes([elf_class, data]) + bytes(12) + machine.to_bytes(2, "little")


def test_elf_header() -> None:
    assert check_elf_header("a.so", _elf(2, 1, 62)) is None  # 64-bit little-endian x86-64
    assert check_elf_header("a.so", _elf(2, 1, 183)) is not None  # aarch64
    assert check_elf_header("a.so", _elf(1, 1, 3)) is not None  # 32-bit i386
    assert check_elf_header("a.so", b"\xcf\xfa\xed\xfe" + bytes(16)) is not None  # Mach-O


# --- the closure for Python 3.10 on Linux ---


def make_wheel(directory: Path, name: str, version: str, requires: list[str], files: dict[str, bytes] | None = None):
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        meta = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}"]
        meta += [f"Requires-Dist: {r}" for r in requires]
        zf.writestr(f"{name}-{version}.dist-info/METADATA", "\n".join(meta) + "\n")
        for arc, data in (files or {}).items():
            zf.writestr(arc, data)
    return read_wheel(path)


def test_closure_uses_python310_markers_and_extras(tmp_path: Path) -> None:
    wheels = {
        w.name: w
        for w in [
            make_wheel(
                tmp_path,
                "app",
                "1.0",
                [
                    'backport; python_version < "3.11"',  # pip on 3.11 skips it; 3.10 needs it
                    'newonly; python_version >= "3.11"',
                    'winonly; sys_platform == "win32"',
                    "lib[fast]>=2",
                ],
            ),
            make_wheel(tmp_path, "backport", "1.0", []),
            make_wheel(tmp_path, "newonly", "1.0", []),
            make_wheel(tmp_path, "lib", "2.1", ['speedups; extra == "fast"', 'docs; extra == "docs"']),
            make_wheel(tmp_path, "speedups", "1.0", []),
        ]
    }
    needed, missing = resolve_closure([Requirement("app")], wheels)
    assert set(needed) == {"app", "backport", "lib", "speedups"}
    assert missing == []

    del wheels["backport"]
    _, missing = resolve_closure([Requirement("app")], wheels)
    assert [str(r) for r in missing] == ['backport; python_version < "3.11"']


def test_closure_reports_version_mismatch(tmp_path: Path) -> None:
    wheels = {w.name: w for w in [make_wheel(tmp_path, "lib", "1.0", [])]}
    _, missing = resolve_closure([Requirement("lib>=2")], wheels)
    assert [str(r) for r in missing] == ["lib>=2"]


def test_read_requirements_skips_comments_and_options(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("# deps\n-r other.txt\npydantic>=2.7,<3  # why\n\nwechatpy==1.8.18\n")
    assert [str(r) for r in read_requirements(req)] == ["pydantic<3,>=2.7", "wechatpy==1.8.18"]


def test_unpack_wheel_layout(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "lib",
        "1.0",
        [],
        {
            "lib/__init__.py": b"x = 1\n",
            "lib-1.0.data/platlib/lib_ext.py": b"y = 2\n",
            "lib-1.0.data/scripts/lib-cli": b"#!/bin/sh\n",
        },
    )
    dest = tmp_path / "layer"
    unpack_wheel(wheel.path, dest)
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert files == ["lib-1.0.dist-info/METADATA", "lib/__init__.py", "lib_ext.py"]


def test_unpack_wheel_rejects_unsafe_paths(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "evil", "1.0", [], {"../escape.py": b""})
    with pytest.raises(PackageError):
        unpack_wheel(wheel.path, tmp_path / "layer")


# --- the code package ---


def test_code_package_has_entry_modules_and_no_tests(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for rel in [
        "functions/__init__.py",
        "functions/auth/index.py",
        "functions/auth/test_index.py",
        "functions/auth/__pycache__/index.cpython-311.pyc",
        "shared/__init__.py",
        "shared/x.py",
        "shared/tests/test_x.py",
        "shared/conftest.py",
        "shared/data/font.ttf",
    ]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"")
    manifest = parse_manifest(
        {"component": "multi-scf", "inputs": {"functions": {"auth": {"handler": "scf_auth.main_handler"}}}}
    )
    stage = tmp_path / "build" / "scf"
    build_code(root, manifest, stage)
    files = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file())
    assert files == [
        "functions/__init__.py",
        "functions/auth/index.py",
        "scf_auth.py",
        "shared/__init__.py",
        "shared/data/font.ttf",
        "shared/x.py",
    ]
    assert "from functions.auth.index import main_handler" in (stage / "scf_auth.py").read_text()

    first = zip_dir(stage, tmp_path / "a.zip")
    second = zip_dir(stage, tmp_path / "b.zip")
    assert first == second and (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_code_package_refuses_missing_function(tmp_path: Path) -> None:
    (tmp_path / "functions").mkdir()
    manifest = parse_manifest(
        {"component": "multi-scf", "inputs": {"functions": {"ghost": {"handler": "scf_ghost.main_handler"}}}}
    )
    with pytest.raises(PackageError, match="ghost"):
        build_code(tmp_path, manifest, tmp_path / "out")


def test_entry_modules_import_the_real_handlers() -> None:
    import importlib.util

    from infra.local.manifest import load_manifest
    from infra.package import entry_module_source

    for name in load_manifest().functions:
        source = entry_module_source(name)
        compile(source, f"scf_{name}.py", "exec")
        assert importlib.util.find_spec(f"functions.{name}.index") is not None
