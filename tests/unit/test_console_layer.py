"""Jinja2 (the console's templates) is in the core layer because the admin function needs it; no other function can
reach it, and the admin function itself loads it only when a page is rendered: every cold start stays as it was."""

from __future__ import annotations

import subprocess
import sys

from infra.deploy.check import import_graph, reachable
from infra.local.manifest import DEFAULT_PATH, load_manifest


def test_only_the_admin_function_can_reach_jinja2():
    graph = import_graph()
    reaching = {name for name in load_manifest(DEFAULT_PATH).functions
                if "jinja2" in reachable(graph, f"functions.{name}.index")}
    assert reaching == {"admin"}


def test_the_admin_function_imports_jinja2_only_for_a_page():
    code = ("import sys, functions.admin.index; "
            "print('jinja2' in sys.modules, 'shared.console.pages.users' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,  # noqa: S603
                         env={"ENVIRONMENT": "test", "PATH": ""}).stdout.split()
    assert out == ["False", "True"]
