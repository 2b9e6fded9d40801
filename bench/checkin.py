"""Check-in benchmark (issue 9): the `checkin` function's handler, POST /checkin, p50/p99.

Through `functions/checkin`'s `main_handler` with real bearer tokens (Function URL events), in process, on a small
database of its own (`codelink_bench_checkin`, rebuilt every run so runs compare), the clock fixed at 10:00 Beijing
time. Three cases, interleaved so a drift of the machine's load touches each alike, each on its own developers:

- first:    a developer's first check-in ever (creates the stats row, the check-in, CheckedIn);
- continue: a developer who checked in yesterday with a 6-day streak (the 7th day: the streak goes on, a freeze is
            earned — the longest path of `rules.check_in`);
- again:    a second check-in the same day (idempotent: `new: false`, nothing written but the locked read).

JOBS_KICK=off: the after-commit subscribers of CheckedIn (challenges, badges) are queued, not run, as in the cloud
where the jobs worker runs them in another invocation.

    python -m bench.checkin [--iterations 300] [--warmup 20]
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text

from bench.stats import Summary, timed_ms

DATABASE = "codelink_bench_checkin"
NOW = datetime(2026, 6, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 Beijing time
HEADING = "## Check-in — the `checkin` function's handler (`bench/checkin.py`)"


@dataclass(frozen=True)
class CheckinResult:
    first: Summary
    continuing: Summary
    again: Summary


def _seed(engine: Any, n: int) -> dict[str, list[int]]:
    with engine.begin() as conn:
        users = [r.id for r in conn.execute(text(
            "INSERT INTO users (openid, nickname, roles, created_at, updated_at)"
            " SELECT 'bench-checkin-' || g, '开发者' || g, '{developer}', :at, :at FROM generate_series(1, :n) g"
            " RETURNING id"), {"at": NOW - timedelta(days=30), "n": 3 * n})]
        first, continuing, again = users[:n], users[n:2 * n], users[2 * n:]
        yesterday = (NOW + timedelta(hours=8)).date() - timedelta(days=1)
        conn.execute(text(
            "INSERT INTO checkin_stats (user_id, last_day, streak, total, longest, freezes, updated_at)"
            " SELECT u, :day, 6, 20, 6, 0, :at FROM unnest(CAST(:ids AS bigint[])) u"),
            {"day": yesterday, "at": NOW - timedelta(days=1), "ids": continuing})
        conn.execute(text(
            "INSERT INTO checkins (user_id, day, streak, created_at)"
            " SELECT u, :day - k, 6 - k, :at FROM unnest(CAST(:ids AS bigint[])) u, generate_series(0, 5) k"),
            {"day": yesterday, "at": NOW - timedelta(days=1), "ids": continuing})
    return {"first": first, "continuing": continuing, "again": again}


def run(*, iterations: int = 300, warmup: int = 20, progress: Callable[[str], None] = print) -> CheckinResult:
    os.environ["JOBS_KICK"] = "off"
    from bench.env import configure_logging
    from infra.local.platform import LocalPlatform

    configure_logging()
    platform = LocalPlatform(database_name=DATABASE, fresh_database=True, jobs_kick="off").start()
    from shared.clock import FixedClock, use_clock

    previous = use_clock(FixedClock(NOW))
    try:
        from functions.checkin import index as checkin
        from shared.auth.tokens import issue_access_token
        from shared.db import get_engine
        from tests.support.api import function_url_event

        n = iterations + warmup
        progress(f"checkin: seeding {3 * n} developers")
        seed = _seed(get_engine(), n)

        def call(user_id: int, new: bool) -> Callable[[], None]:
            event = function_url_event("POST", "/checkin", {}, token=issue_access_token(user_id, NOW)[0])

            def go() -> None:
                answer = checkin.main_handler(event, None)
                if answer["statusCode"] != 200 or json.loads(answer["body"])["new"] is not new:
                    raise RuntimeError(f"POST /checkin -> {answer['statusCode']}: {answer['body'][:300]}")
            return go

        for user_id in seed["again"]:  # their first check-in today, untimed: the timed one is the repeat
            call(user_id, True)()
        cases = {"first": [call(u, True) for u in seed["first"]],
                 "continuing": [call(u, True) for u in seed["continuing"]],
                 "again": [call(u, False) for u in seed["again"]]}
        samples: dict[str, list[float]] = {k: [] for k in cases}
        for i in range(n):
            for name, calls in cases.items():
                samples[name].append(timed_ms(calls[i]))
        with get_engine().connect() as conn:
            streaks = conn.execute(text("SELECT count(*) FROM checkin_stats WHERE streak = 7 AND freezes = 1"
                                        " AND user_id = ANY(:ids)"), {"ids": seed["continuing"]}).scalar_one()
        if streaks != n:
            raise RuntimeError(f"{streaks} of {n} continuing developers reached a 7-day streak with a freeze")
        result = CheckinResult(*(Summary.of(samples[k][warmup:]) for k in ("first", "continuing", "again")))
        progress(f"check-in p50/p99: first {result.first.p50:.2f}/{result.first.p99:.2f} ms, continuing"
                 f" {result.continuing.p50:.2f}/{result.continuing.p99:.2f} ms, again"
                 f" {result.again.p50:.2f}/{result.again.p99:.2f} ms")
        return result
    finally:
        use_clock(previous)
        platform.stop()


def render(result: CheckinResult) -> str:
    lines = ["| POST /checkin | n | p50 ms | p90 ms | p99 ms | max ms | mean ms |", "|---|--:|--:|--:|--:|--:|--:|"]
    for name, s in (("first check-in ever (stats row + check-in + CheckedIn)", result.first),
                    ("7th day of a streak (continues, earns a freeze)", result.continuing),
                    ("again the same day (idempotent, `new: false`)", result.again)):
        lines.append(f"| {name} | {s.n} | {s.p50:.2f} | {s.p90:.2f} | {s.p99:.2f} | {s.max:.2f} | {s.mean:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    print(render(run(iterations=args.iterations, warmup=args.warmup)))


if __name__ == "__main__":
    main()
