"""`python -m shared.metrics backfill --since 2026-01-01 --until 2026-12-31 [--work]`: fill the dashboard's aggregates
from the event log, through the event system's replay (every event type `metrics.record` subscribes to, in batches
of the replay limit). Safe to run twice: the subscriber counts each business fact once."""

from __future__ import annotations

import argparse
from datetime import datetime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.metrics", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    backfill = commands.add_parser("backfill", help="replay past events to metrics.record")
    backfill.add_argument("--since", required=True, help="YYYY-MM-DD (Beijing) or an ISO time")
    backfill.add_argument("--until", required=True, help="YYYY-MM-DD (Beijing, inclusive) or an ISO time")
    backfill.add_argument("--work", action="store_true", help="work the queued deliveries off in this process")
    args = parser.parse_args(argv)

    from shared.events import AdminAudited
    from shared.events.__main__ import _time
    from shared.events.delivery import replay_events
    from shared.jobs import install_kick, work
    from shared.metrics.rules import SUBSCRIBED
    from shared.uow import UnitOfWork, run

    install_kick()
    since, until = _time(args.since, end_of_day=False), _time(args.until, end_of_day=True)
    total = 0
    for name in SUBSCRIBED:
        start = since
        while True:
            def use_case(uow: UnitOfWork, name: str = name, start: datetime = start) -> dict:
                return replay_events(uow, name, "metrics.record", start, until)

            result = run(use_case)
            total += result["queued"]
            if not result["truncated"] or result["last_occurred_at"] == start:
                break
            start = result["last_occurred_at"]  # the replay limit: go on from the last one (counted once anyway)
    run(lambda uow: uow.publish(AdminAudited(
        admin_id=None, action="metrics.backfill", entity_name="subscriber", entity_id=0,
        after={"since": since.isoformat(), "until": until.isoformat(), "queued": total})))
    print(f"queued {total} deliveries to metrics.record")
    if args.work:
        done = 0
        while True:
            report = work()
            done += report.done
            if not (report.done or report.retried or report.failed):
                break
        print(f"worked off {done} jobs")


if __name__ == "__main__":
    main()
