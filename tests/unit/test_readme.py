"""The README is how a new engineer finds their way: it names every make target, every cloud function, every doc and
every port `make dev` opens. Adding one of those without a line in the README fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.local.client import dev_ports
from infra.local.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _make_targets() -> tuple[set[str], set[str]]:
    """(the targets with a rule, the .PHONY list) of the Makefile."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    rules = set(re.findall(r"^([a-z][a-z0-9-]*):(?!=)", text, re.MULTILINE))
    [phony] = re.findall(r"^\.PHONY:(.*)$", text, re.MULTILINE)
    return rules, set(phony.split())


def test_every_make_target_is_a_real_rule_and_in_the_readme() -> None:
    rules, phony = _make_targets()
    assert phony <= rules, f".PHONY names targets without a rule: {sorted(phony - rules)}"
    assert {"dev", "test", "demo"} <= rules
    missing = sorted(t for t in rules if not re.search(rf"`make {re.escape(t)}(`| )", README))
    assert not missing, f"make targets the README does not name: {missing}"


def test_every_function_has_a_row_in_the_readme() -> None:
    directories = {p.name for p in (ROOT / "functions").iterdir() if (p / "index.py").is_file()}
    assert set(load_manifest().functions) | {"migrate"} == directories  # serverless.yml deploys them all
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", README, re.MULTILINE))
    assert directories <= rows, f"functions without a row in the README: {sorted(directories - rows)}"


@pytest.mark.parametrize("doc", sorted(p.name for p in (ROOT / "docs").glob("*.md")))
def test_every_doc_is_linked_from_the_readme(doc: str) -> None:
    assert f"(docs/{doc})" in README


def test_every_port_make_dev_opens_is_in_the_readme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODELINK_PORT_BASE", raising=False)
    ports = dev_ports()
    [paragraph] = [p for p in README.split("\n\n") if p.startswith("Local ports")]
    missing = {name: port for name, port in ports.items() if not re.search(rf"\b{port}\b", paragraph)}
    assert not missing, f"ports of make dev the README does not list: {missing}"
