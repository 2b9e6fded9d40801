"""Off-platform detector throughput (issue 12): every labelled task-chat message of tests/data (both files, 532
messages, a third of them short tech talk full of numbers) scanned again and again in one process with the built-in
rules, each scan timed on its own. No database, no seed.

Also measured: compiling the built-in rule set (what a container pays once), the cold start of a fresh interpreter
that imports the detector and scans one message, and a 2,000-character message (a long paste of logs and code).

    python -m bench.detector [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.stats import Summary

ROOT = Path(__file__).resolve().parents[1]
DATA = [ROOT / "tests" / "data" / "offplatform_messages.jsonl", ROOT / "tests" / "data" / "offplatform_fresh.jsonl"]
_COLD = ("import time\nt = time.process_time()\nimport shared.chat.detection as d\nd.detect('加我微信 13912345678')\n"
         "print((time.process_time() - t) * 1000)")


@dataclass(frozen=True)
class DetectorResult:
    messages: int  # distinct messages
    scans: int
    seconds: float  # wall time of all scans (timer calls included)
    per_message_us: Summary  # one scan, microseconds
    intrinsic_us: Summary  # each message's median over the passes: its own cost, without the machine's hiccups
    mean_chars: float
    flagged_share: float
    compile_ms: float  # Detector.from_rules(built-in rules), re's cache purged, median of 5, in process
    cold_ms: float  # fresh interpreter: import + compile + first scan, CPU ms, median of 5
    long_us: Summary  # a 2,000-character message, microseconds
    rules: int

    @property
    def messages_per_second(self) -> float:
        return self.scans / self.seconds


def load_messages() -> list[str]:
    return [json.loads(line)["text"] for path in DATA for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _long_message(messages: list[str], size: int = 2000) -> str:
    out, rng = "", random.Random(7)
    while len(out) < size:
        out += rng.choice(messages) + "\n"
    return out[:size]


def _cold_ms(repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", _COLD], cwd=ROOT,  # noqa: S603 - our own interpreter
                             capture_output=True, text=True, check=True)
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


def run(*, repeat: int = 50, progress: Callable[[str], None] = print, messages: list[str] | None = None,
        cold_repeats: int = 5) -> DetectorResult:
    from shared.chat import detection_rules
    from shared.chat.detection import Detector

    texts = messages if messages is not None else load_messages()
    compile_runs = []
    for _ in range(5):
        re.purge()  # else re's own cache hands back the patterns compiled last time
        started = time.perf_counter()
        Detector.from_rules(detection_rules.RULES)
        compile_runs.append((time.perf_counter() - started) * 1000)
    detector = Detector.default()
    for text in texts:  # warm-up: one pass
        detector.scan(text)
    progress(f"detector: {len(texts)} messages × {repeat}")
    order = list(texts)
    rng = random.Random(12)
    samples: list[float] = []
    by_text: dict[str, list[float]] = {t: [] for t in texts}
    flagged = 0
    clock = time.perf_counter_ns
    started = time.perf_counter()
    for _ in range(repeat):
        rng.shuffle(order)
        for text in order:
            t0 = clock()
            result = detector.scan(text)
            us = (clock() - t0) / 1000
            samples.append(us)
            by_text[text].append(us)
            flagged += result.flagged
    seconds = time.perf_counter() - started
    long_text = _long_message(texts)
    long_samples = []
    for _ in range(max(20, repeat)):
        t0 = clock()
        detector.scan(long_text)
        long_samples.append((clock() - t0) / 1000)
    progress("detector: cold starts")
    return DetectorResult(
        messages=len(texts), scans=len(samples), seconds=seconds, per_message_us=Summary.of(samples),
        intrinsic_us=Summary.of([statistics.median(v) for v in by_text.values()]),
        mean_chars=statistics.fmean(len(t) for t in texts), flagged_share=flagged / len(samples),
        compile_ms=statistics.median(compile_runs), cold_ms=_cold_ms(cold_repeats) if cold_repeats else 0.0,
        long_us=Summary.of(long_samples), rules=len(detector.rules))


def render(r: DetectorResult) -> str:
    s, i, long = r.per_message_us, r.intrinsic_us, r.long_us
    return "\n".join([
        "| detector | scans | p50 µs | p90 µs | p99 µs | max µs |",
        "|---|---:|---:|---:|---:|---:|",
        f"| one chat message ({r.messages} labelled messages, mean {r.mean_chars:.0f} characters, "
        f"{r.flagged_share:.0%} flagged) | {s.n:,} | {s.p50:.1f} | {s.p90:.1f} | {s.p99:.1f} | {s.max:.1f} |",
        f"| … each message's median over the passes (its own cost, without the machine's hiccups) | {i.n:,} |"
        f" {i.p50:.1f} | {i.p90:.1f} | {i.p99:.1f} | {i.max:.1f} |",
        f"| a 2,000-character message (logs and code pasted) | {long.n:,} | {long.p50:.0f} | {long.p90:.0f} |"
        f" {long.p99:.0f} | {long.max:.0f} |",
        "",
        f"**{r.messages_per_second:,.0f} messages per second** on one core ({r.scans:,} scans in {r.seconds:.2f} s,"
        f" {r.rules} rules). Compiling the built-in rule set: {r.compile_ms:.1f} ms (once per container); a fresh"
        f" interpreter importing the detector and scanning one message: {r.cold_ms:.0f} ms CPU.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50, help="passes over the labelled messages")
    args = parser.parse_args()
    print(render(run(repeat=args.repeat, progress=lambda m: print(f"  {m}", flush=True))))


if __name__ == "__main__":
    main()
