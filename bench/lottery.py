"""Lottery benchmark (issue 9): a draw over 1,000,000 tickets (goal ≤ 10 s) and its verification from the public
record, which must give the same winners.

Pure CPU: no database, no seed, no platform. Two shapes of the same 1,000,000 tickets: a million entrants with one
ticket each (the worst case: every per-entry cost a million times), and 200,000 entrants holding 1,000,000 tickets
(what monthly challenge entries look like). Entrant ids are random in [1, 2·10^7) and arrive unsorted, as rows
would from a query. Each repeat times, in process:

- close:  `canonical_entries` (validate, sort, refuse duplicates) + `entry_digest` (16 MB of canonical bytes);
- draw:   `draw(seed, beacon, entries, k)` — it recomputes the digest to bind the key, as it must;
- publish: the public record (`complete` + `to_json`) written to a file;
- verify: what a stranger does — read that file, parse it, `verify_record` (commitment, digest, redraw, compare);

then once per shape the real command, `python -m shared.lottery verify <file>`, in a fresh interpreter (wall time
and peak RSS: what a public endpoint or a laptop needs).

    python -m bench.lottery [--tickets 1000000] [--k 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from shared.lottery import announce, canonical_entries, close, complete, draw, entry_digest, parse, verify_record
from shared.lottery.draw import Beacon

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 10.0
SEED = hashlib.sha256(b"bench: lottery seed").digest()
BEACON_VALUE = hashlib.sha256(b"bench: beacon value").hexdigest()


@dataclass(frozen=True)
class LotteryResult:
    name: str
    entrants: int
    tickets: int
    k: int
    close_s: list[float]
    draw_s: list[float]
    publish_s: list[float]
    verify_s: list[float]
    record_bytes: int
    cli_s: float
    cli_rss_mb: float
    cli_exit: int
    winners: tuple[int, ...]
    same_winners: bool  # every in-process verification and the command recomputed exactly these

    @property
    def draw_total_s(self) -> list[float]:
        return [c + d for c, d in zip(self.close_s, self.draw_s, strict=True)]

    @property
    def meets_goal(self) -> bool:
        return self.same_winners and self.cli_exit == 0 and max(self.draw_total_s) <= GOAL_S \
            and max(self.verify_s) <= GOAL_S and self.cli_s <= GOAL_S


def entrants(rng: random.Random, users: int, tickets: int) -> list[tuple[int, int]]:
    """`users` random ids holding `tickets` tickets in all: one each, the rest spread at random (some users get
    many, most a few — a long tail like real entry counts)."""
    ids = rng.sample(range(1, 20_000_000), users)
    extra = Counter(rng.choices(range(users), k=tickets - users))
    return [(uid, 1 + extra[i]) for i, uid in enumerate(ids)]


def _timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


# The command, run by runpy in a fresh interpreter that reports its own peak RSS at exit. VmHWM is this process's
# high-water mark since exec; wait4's ru_maxrss would include the parent's memory the child had before exec.
_CLI = """
import runpy, sys
path = sys.argv[1]
sys.argv = ["python -m shared.lottery", "verify", path]
try:
    runpy.run_module("shared.lottery", run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as exc:
    code = exc.code
try:
    with open("/proc/self/status") as status:
        hwm = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    hwm = "0"
print(f"@@peak_kb {hwm}", file=sys.stderr)
sys.exit(code)
"""


def run_cli(path: Path) -> tuple[float, float, int, str]:
    """`python -m shared.lottery verify <path>` in a fresh interpreter: wall seconds, peak RSS in MB (0 where /proc
    is missing), exit status, output."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _CLI, str(path)], cwd=ROOT,  # noqa: S603 - our own interpreter
                         capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    peak = [line for line in out.stderr.splitlines() if line.startswith("@@peak_kb ")]
    rss_mb = int(peak[-1].split()[1]) / 1024 if peak else 0.0
    return seconds, rss_mb, out.returncode, out.stdout


def run_scenario(name: str, pairs: list[tuple[int, int]], *, k: int, repeats: int, workdir: Path,
                 progress: Any = print) -> LotteryResult:
    beacon = Beacon.from_hex("drand:bench", 1, BEACON_VALUE)
    announced = announce(lottery=f"bench {name}", close_time=datetime(2026, 12, 31, 23, 59, 59,
                                                                       tzinfo=timezone(timedelta(hours=8))),
                         seed=SEED, beacon_source=beacon.source, beacon_round=beacon.round, k=k)
    path = workdir / f"draw-{len(pairs)}.json"
    timings: dict[str, list[float]] = {"close": [], "draw": [], "publish": [], "verify": []}
    winners: tuple[int, ...] | None = None
    same = True
    for i in range(repeats):
        seconds, entries = _timed(lambda: canonical_entries(pairs))
        digest_s, _ = _timed(lambda: entry_digest(entries))  # noqa: B023 - called at once, inside the loop
        timings["close"].append(seconds + digest_s)
        seconds, result = _timed(lambda: draw(SEED, beacon, entries, k))  # noqa: B023
        timings["draw"].append(seconds)
        winners = winners or result.winners
        same &= result.winners == winners

        def publish() -> None:
            record = complete(close(announced, entries), entries, SEED, beacon_value=BEACON_VALUE)  # noqa: B023
            path.write_text(record.to_json(), encoding="utf-8")

        timings["publish"].append(_timed(publish)[0])

        def check() -> tuple[bool, tuple[int, ...] | None]:
            record = parse(json.loads(path.read_text(encoding="utf-8")))
            report = verify_record(record)
            return report.ok and report.complete, record.winners

        seconds, (ok, published) = _timed(check)
        timings["verify"].append(seconds)
        same &= ok and published == winners
        progress(f"{name}: repeat {i + 1}/{repeats}: close {timings['close'][-1]:.2f} s, draw"
                 f" {timings['draw'][-1]:.2f} s, publish {timings['publish'][-1]:.2f} s, verify"
                 f" {timings['verify'][-1]:.2f} s")
    cli_s, rss, exit_code, output = run_cli(path)
    same &= exit_code == 0 and f"recomputed winners {list(winners or ())} match" in output
    progress(f"{name}: `python -m shared.lottery verify`: {cli_s:.2f} s, peak RSS {rss:.0f} MB, exit {exit_code}")
    assert winners is not None
    return LotteryResult(name, len(pairs), sum(t for _, t in pairs), k, timings["close"], timings["draw"],
                         timings["publish"], timings["verify"], path.stat().st_size, cli_s, rss, exit_code, winners,
                         same)


def run(*, tickets: int = 1_000_000, k: int = 10, repeats: int = 3, progress: Any = print) -> list[LotteryResult]:
    rng = random.Random(20261231)
    shapes = [(f"{tickets:,} entrants × 1 ticket", entrants(rng, tickets, tickets)),
              (f"{tickets // 5:,} entrants, {tickets:,} tickets", entrants(rng, tickets // 5, tickets))]
    with tempfile.TemporaryDirectory(prefix="codelink-bench-lottery-") as tmp:
        return [run_scenario(name, pairs, k=k, repeats=repeats, workdir=Path(tmp), progress=progress)
                for name, pairs in shapes]


def _s(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} / {max(values):.2f}"


def render(results: list[LotteryResult]) -> str:
    repeats = len(results[0].draw_s) if results else 0
    out = [f"Goal: a draw over 1,000,000 tickets in ≤ {GOAL_S:g} s, and its verification from the public record"
           f" giving the same winners. Seconds, median / max of {repeats} runs in process; the command once, in a"
           " fresh interpreter.", "",
           "| entries | k | close (sort + digest) | draw | close + draw | publish record | verify in process"
           " | `python -m shared.lottery verify` | peak RSS | record size | same winners | goal |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|"]
    for r in results:
        out.append(f"| {r.name} | {r.k} | {_s(r.close_s)} | {_s(r.draw_s)} | {_s(r.draw_total_s)} |"
                   f" {_s(r.publish_s)} | {_s(r.verify_s)} | {r.cli_s:.2f} | {r.cli_rss_mb:.0f} MB |"
                   f" {r.record_bytes / 1e6:.1f} MB | {'yes' if r.same_winners else '**NO**'} |"
                   f" {'ok' if r.meets_goal else '**MISS**'} |")
    for r in results:
        out.append(f"\nWinners ({r.name}): {', '.join(str(w) for w in r.winners)}.")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = run(tickets=args.tickets, k=args.k, repeats=args.repeats, progress=lambda m: print(f"  {m}", flush=True))
    print(render(results))


if __name__ == "__main__":
    main()
