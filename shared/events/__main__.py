"""`python -m shared.events …`: operator commands for the event system.

    python -m shared.events replay --type TaskCompleted --subscriber growth.skill_points \
        --since 2026-01-01 --until 2026-01-31 [--work]
        Re-deliver past events of one type (Beijing days, both inclusive; or ISO times) to ONE after-commit
        subscriber: queued as jobs and the worker kicked; --work also works them off in this process.
    python -m shared.events doc
        Regenerate the events table in docs/ARCHITECTURE.md (`make events-doc`).
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta


def _time(value: str, *, end_of_day: bool) -> datetime:
    from shared.clock import SHANGHAI

    try:
        day = date.fromisoformat(value)
    except ValueError:
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
    start = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
    return start + timedelta(days=1) if end_of_day else start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.events", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    replay = commands.add_parser("replay", help="re-deliver past events to one subscriber")
    replay.add_argument("--type", required=True, help="event name, e.g. TaskCompleted")
    replay.add_argument("--subscriber", required=True, help="subscriber name from shared/subscriptions.py")
    replay.add_argument("--since", required=True, help="YYYY-MM-DD (Beijing) or an ISO time")
    replay.add_argument("--until", required=True, help="YYYY-MM-DD (Beijing, inclusive) or an ISO time (exclusive)")
    replay.add_argument("--work", action="store_true", help="work the queued deliveries off in this process")
    commands.add_parser("doc", help="regenerate the events table in docs/ARCHITECTURE.md")
    args = parser.parse_args(argv)

    if args.command == "doc":
        from shared.events import docs

        print("docs/ARCHITECTURE.md " + ("updated" if docs.write() else "already up to date"))
        return

    from shared.events import AdminAudited
    from shared.events.delivery import replay_events
    from shared.jobs import install_kick, work
    from shared.uow import UnitOfWork, run

    install_kick()
    since, until = _time(args.since, end_of_day=False), _time(args.until, end_of_day=True)

    def use_case(uow: UnitOfWork) -> dict:
        result = replay_events(uow, args.type, args.subscriber, since, until)
        uow.publish(AdminAudited(admin_id=None, action="events.replay", entity_name="subscriber", entity_id=0,
                                 after={"event": args.type, "subscriber": args.subscriber, "since": since.isoformat(),
                                        "until": until.isoformat(), "queued": result["queued"]}))
        return result

    result = run(use_case)
    print(f"queued {result['queued']} {args.type} deliveries to {args.subscriber}"
          + (f" (limit reached: replay again from {result['last_occurred_at']})" if result["truncated"] else ""))
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
