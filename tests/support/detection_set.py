"""The labelled chat messages of tests/data (see its README) and how the detector is measured on them.

    .venv/bin/python -m tests.support.detection_set          # the tables docs/TRUST.md shows, and every miss
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
MAIN = DATA / "offplatform_messages.jsonl"  # written before the detector
FRESH = DATA / "offplatform_fresh.jsonl"  # written after the rules were first frozen (out-of-sample check)
KINDS = ("phone", "wechat", "qq", "email", "im", "payment", "intent")


@dataclass(frozen=True)
class Message:
    id: str
    text: str
    positive: bool
    kinds: frozenset[str]
    tag: str


def load(*paths: Path) -> list[Message]:
    out = []
    for path in paths or (MAIN, FRESH):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(Message(row["id"], row["text"], row["label"] == "positive", frozenset(row["kinds"]),
                                   row["tag"]))
    return out


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Measure:
    overall: Counts = field(default_factory=Counts)
    kinds: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in KINDS})
    false_positives: list[tuple[Message, list[str]]] = field(default_factory=list)
    misses: list[Message] = field(default_factory=list)
    kind_errors: list[tuple[str, str, Message]] = field(default_factory=list)  # (fp|fn, kind, message)


def measure(messages: Iterable[Message], scan: Callable[[str], object] | None = None) -> Measure:
    """Message level: flagged vs labelled positive. Per kind: the kind among the findings vs among the labels."""
    if scan is None:
        from shared.chat.detection import detect as scan
    m = Measure()
    for msg in messages:
        found = scan(msg.text)
        flagged, kinds = found.flagged, found.kinds  # type: ignore[attr-defined]
        c = m.overall
        if flagged and msg.positive:
            c.tp += 1
        elif flagged:
            c.fp += 1
            m.false_positives.append((msg, [f"{f.rule_id}: {f.text}" for f in found.findings]))  # type: ignore
        elif msg.positive:
            c.fn += 1
            m.misses.append(msg)
        else:
            c.tn += 1
        for kind in KINDS:
            k = m.kinds[kind]
            if kind in kinds and kind in msg.kinds:
                k.tp += 1
            elif kind in kinds:
                k.fp += 1
                m.kind_errors.append(("fp", kind, msg))
            elif kind in msg.kinds:
                k.fn += 1
                m.kind_errors.append(("fn", kind, msg))
    return m


def table(m: Measure) -> str:
    rows = ["| | labelled | precision | recall | TP | FP | FN |", "|---|--:|--:|--:|--:|--:|--:|"]
    o = m.overall
    rows.append(f"| **any off-platform attempt** (message flagged) | {o.tp + o.fn} | {o.precision:.3f} |"
                f" {o.recall:.3f} | {o.tp} | {o.fp} | {o.fn} |")
    for kind, c in m.kinds.items():
        rows.append(f"| {kind} | {c.tp + c.fn} | {c.precision:.3f} | {c.recall:.3f} | {c.tp} | {c.fp} | {c.fn} |")
    return "\n".join(rows)


def main() -> None:
    for title, paths in (("both sets", (MAIN, FRESH)), ("offplatform_messages.jsonl", (MAIN,)),
                         ("offplatform_fresh.jsonl", (FRESH,))):
        msgs = load(*paths)
        m = measure(msgs)
        print(f"\n## {title}: {len(msgs)} messages ({sum(x.positive for x in msgs)} positive)\n\n{table(m)}")
    m = measure(load())
    print("\nfalse positives:")
    for msg, why in m.false_positives:
        print(f"  {msg.id} [{msg.tag}] {msg.text!r} ← {why}")
    print("misses:")
    for msg in m.misses:
        print(f"  {msg.id} [{msg.tag}] {msg.text!r}")
    print("kind errors:")
    for what, kind, msg in m.kind_errors:
        print(f"  {what} {kind}: {msg.id} {msg.text!r}")


if __name__ == "__main__":
    main()
