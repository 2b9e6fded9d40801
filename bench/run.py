"""`make bench`: seed `codelink_bench` if needed, then measure the task hall, one-tap apply, every function's import
time, the off-platform detector, the lottery draw over 1,000,000 tickets, the growth report PDFs, the leaderboards
(1,000,000 developers, 10,000,000 XP entries, on their own database), growth (the match sort at 1,000,000 tasks, the
nightly level re-evaluation, the growth event lag; `bench/growth.py`), the money paths, the check-in handler (on
its own small database: `--only checkin`) and the task chat (send and incremental fetch over 10,000,000 messages, on
its own database: `--only chat`) (the detector, the lottery and the reports need no seed and no database:
`--only detector` / `--only lottery` / `--only reports` run them alone); print a table and write it into
docs/BENCHMARKS.md.

    python -m bench.run                      # everything (≈ 23 min on 2 quiet cores, 2026-12-05, with its seeds)
    python -m bench.run --only hall --explain --profile   # one part, with EXPLAIN ANALYZE and a cProfile
    python -m bench.run --reseed             # drop the seed and build it again
    python -m bench.run --only detector      # the chat detector alone: no database, no seed
    python -m bench.run --only growth --growth-developers 100000   # the match sort, the nightly, the growth lag

The benchmarks run on a fixed clock at the seed's epoch (bench/seed.py), so data seeded days ago still looks fresh.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import text

LOTTERY_HEADING = "## Lottery — a draw over 1,000,000 tickets and its verification (`bench/lottery.py`)"
# money last: its 32 processes leave the machine busy
# reports, detector and lottery need no database or seed (reports only `make fonts`)
PARTS = ("hall", "apply", "imports", "events", "detector", "lottery", "reports", "console", "leaderboards", "growth",
         "money", "checkin", "chat")


def progress(msg: str) -> None:
    print(f"  {msg}", flush=True)


def wait_for_quiet(max_load: float, max_wait: float) -> str:
    """Wait (at most max_wait seconds) until the 1-minute load average is at most max_load: other work on the machine
    (a test run next door) skews every number. Returns a note for the report."""
    deadline = time.monotonic() + max_wait
    load = os.getloadavg()[0]
    if load <= max_load:
        return f"1-minute load {load:.2f} (≤ {max_load:g}) when measuring started"
    progress(f"machine busy (1-min load {load:.2f} > {max_load:g}); waiting up to {max_wait:.0f} s for it to calm")
    while time.monotonic() < deadline:
        time.sleep(5)
        load = os.getloadavg()[0]
        if load <= max_load:
            progress(f"load {load:.2f}: going on")
            return f"waited until the 1-minute load was {load:.2f} (≤ {max_load:g}), then measured"
    progress(f"still busy (load {load:.2f}); measuring anyway")
    return f"**measured on a busy machine**: 1-minute load still {load:.2f} after waiting {max_wait:.0f} s"


def analyze_if_needed(engine: Any) -> None:
    """Columns a later migration added have no statistics until ANALYZE (the planner then guesses 1/3 selectivity):
    analyze the seeded tables when any of their columns lacks statistics."""
    tables = ("tasks", "users", "developer_profiles", "merchant_profiles")
    with engine.connect() as conn:
        missing = conn.execute(text(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'"
            " LEFT JOIN pg_stats s ON s.schemaname = 'public' AND s.tablename = c.relname AND s.attname = a.attname"
            " WHERE c.relname = ANY (:t) AND a.attnum > 0 AND NOT a.attisdropped AND s.attname IS NULL"),
            {"t": list(tables)}).all()
    if missing:
        progress(f"ANALYZE: no statistics yet for {', '.join(f'{r[0]}.{r[1]}' for r in missing)}")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"ANALYZE {', '.join(sorted({r[0] for r in missing}))}"))


def server_info(engine: Any, external: bool) -> tuple[str, str]:
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version()")).scalar_one().split(" on ")[0]
        settings = {r[0]: r[1] for r in conn.execute(text(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN"
            " ('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'jit')"))}
    where = "DATABASE_URL's server" if external else "embedded pgserver"
    return version, f"{where}; " + ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))


def profile_hall(iterations: int) -> str:
    from bench.hall import MAIN, _call
    from functions.tasks.index import main_handler

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(iterations):
        _call(main_handler, MAIN)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part (repeatable)")
    parser.add_argument("--warmup", type=int, default=50, help="hall warm-up iterations per scenario")
    parser.add_argument("--iterations", type=int, default=400, help="hall measured iterations per scenario")
    parser.add_argument("--apply-warmup", type=int, default=20)
    parser.add_argument("--apply-iterations", type=int, default=300)
    parser.add_argument("--import-repeats", type=int, default=11)
    parser.add_argument("--lottery-tickets", type=int, default=1_000_000, help="tickets in the lottery draw")
    parser.add_argument("--lottery-repeats", type=int, default=3)
    parser.add_argument("--detector-repeat", type=int, default=50, help="passes over the labelled chat messages")
    parser.add_argument("--reports", type=int, default=300, help="growth reports rendered for throughput and sizes")
    parser.add_argument("--lb-developers", type=int, default=1_000_000, help="developers on the leaderboards")
    parser.add_argument("--lb-entries", type=int, default=10_000_000, help="XP entries behind the leaderboards")
    parser.add_argument("--chat-messages", type=int, default=10_000_000, help="chat messages stored (issue 12)")
    parser.add_argument("--chat-conversations", type=int, default=200_000, help="conversations they are spread over")
    parser.add_argument("--growth-developers", type=int, default=None,
                        help="developers in the growth part's nightly run (default 1,000,000 or"
                             " GROWTH_BENCH_DEVELOPERS; a smaller N is extrapolated)")
    parser.add_argument("--growth-lag-tasks", type=int, default=100,
                        help="tasks accepted + rated in the growth lag run")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the seed is complete")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of each hall query")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the main hall scenario")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/BENCHMARKS.md")
    parser.add_argument("--max-load", type=float, default=None,
                        help="wait for the 1-minute load average to drop to this before measuring (default nproc/2)")
    parser.add_argument("--max-wait", type=float, default=150, help="seconds to wait for that at most, per part")
    args = parser.parse_args()
    parts = args.only or list(PARTS)
    write_docs = not args.no_docs and set(parts) == set(PARTS)

    max_load = args.max_load if args.max_load is not None else (os.cpu_count() or 2) / 2
    external = bool(os.environ.get("DATABASE_URL"))  # before the platform sets it
    started = time.perf_counter()
    when = datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"CodeLink benchmarks — {when}", flush=True)

    from bench import report

    hall_results = apply_result = import_results = nopyc_results = None
    m: report.Machine | None = None
    seed_text = ""
    notes: list[str] = []
    if "hall" in parts or "apply" in parts:
        from bench.env import start_platform
        from bench.seed import ensure_seeded

        print("[1/4] platform and seed", flush=True)
        platform = start_platform()
        try:
            from shared.clock import FixedClock, use_clock
            from shared.db import get_engine

            engine = get_engine()
            m = report.machine(*server_info(engine, external))
            info = ensure_seeded(engine, force=args.reseed)
            analyze_if_needed(engine)
            with engine.connect() as conn:
                open_tasks = conn.execute(text("SELECT count(*) FROM tasks WHERE status = 'open'")).scalar_one()
                promoted = conn.execute(text(
                    "SELECT count(*) FROM tasks WHERE status = 'open' AND promoted_until > :e"),
                    {"e": info.epoch}).scalar_one() if _has_column(conn, "tasks", "promoted_until") else 0
                size = conn.execute(text("SELECT pg_size_pretty(pg_total_relation_size('tasks'))")).scalar_one()
            seed_text = (f"`{platform.database_name}`: {info.tasks:,} tasks ({open_tasks:,} open, {promoted:,} of"
                         f" them promoted; table + indexes {size}), {info.developers:,} developers,"
                         f" {info.merchants:,} merchants; seeded in {info.seconds:.0f} s (seed v{info.version}),"
                         f" clock fixed at the seed epoch {info.epoch.isoformat()}")
            use_clock(FixedClock(info.epoch))
            notes.append(f"Hall and apply: {wait_for_quiet(max_load, args.max_wait)}")
            if "hall" in parts:
                from bench import hall

                print(f"[2/4] task hall: {len(hall.SCENARIOS)} scenarios × ({args.warmup} warm-up +"
                      f" {args.iterations} measured) × handler / direct / raw", flush=True)
                hall_results = hall.run(info.epoch, warmup=args.warmup, iterations=args.iterations,
                                        progress=progress)
                notes.append(f"Load average (1/5/15 min) after the hall: {report.load()}")
                if args.explain:
                    for name, query in hall.SCENARIOS:
                        print(f"\n--- EXPLAIN {name.strip()}\n{hall.explain(info.epoch, query)}", flush=True)
                if args.profile:
                    print(profile_hall(300), flush=True)
            if "apply" in parts:
                from bench import apply

                print(f"[3/4] apply: {args.apply_warmup} warm-up + {args.apply_iterations} measured, × handler /"
                      " direct (all statements) / direct (cap + insert)", flush=True)
                apply_result = apply.run(info.epoch, warmup=args.apply_warmup, iterations=args.apply_iterations,
                                         progress=progress)
                notes.append(f"Load average after apply: {report.load()}")
        finally:
            platform.stop()
        notes.append("In process: handlers called as `main_handler(event, None)` with Function URL events;"
                     " logging at INFO to /dev/null (formatted, as in SCF); JOBS_KICK=off")
    if "imports" in parts:
        from bench import imports

        print(f"[4/4] import time: {len(imports.functions())} functions + baseline × {args.import_repeats}"
              " fresh interpreters", flush=True)
        notes.append(f"Imports: {wait_for_quiet(max_load, args.max_wait)}")
        import_results = imports.run(repeats=args.import_repeats, progress=progress)
        nopyc_results = imports.run_without_bytecode(["tasks"], repeats=3, progress=progress)
        notes.append(f"Load average after the imports: {report.load()}")
    if "lottery" in parts:
        from bench import lottery

        print(f"[lottery] a draw over {args.lottery_tickets:,} tickets and its verification, two shapes ×"
              f" {args.lottery_repeats}", flush=True)
        quiet = wait_for_quiet(max_load, args.max_wait)
        results = lottery.run(tickets=args.lottery_tickets, repeats=args.lottery_repeats, progress=progress)
        lottery_section = (f"Run **{when}** — {report.nproc()} CPU ({report.cpu_model()}), {report.python()}; {quiet};"
                           f" load average (1/5/15 min) after: {report.load()}.\n\n{lottery.render(results)}")
        print("\n" + lottery_section, flush=True)
        if args.no_docs or args.lottery_tickets != 1_000_000:
            print("(docs/BENCHMARKS.md lottery block not updated: --no-docs or not 1,000,000 tickets)")
        else:
            print(f"lottery block written to {report.write_block('lottery', LOTTERY_HEADING, lottery_section)}")
    if "checkin" in parts:  # its own small database, rebuilt each run; its own block of docs/BENCHMARKS.md
        from bench import checkin

        print("[checkin] POST /checkin handler: first check-in, 7th day of a streak, again the same day", flush=True)
        quiet = wait_for_quiet(max_load, args.max_wait)
        checkin_section = (f"Run **{when}** — {report.nproc()} CPU ({report.cpu_model()}), {report.python()}; {quiet};"
                           f" load average (1/5/15 min) after: {report.load()}.\n\n"
                           + checkin.render(checkin.run(progress=progress)) + "\n")
        print("\n" + checkin_section, flush=True)
        if not args.no_docs:
            print(f"checkin block written to {report.write_block('checkin', checkin.HEADING, checkin_section)}")
    if "chat" in parts:  # its own database, seeded once per size; its own block of docs/BENCHMARKS.md
        from bench import chat

        print(f"[chat] send and incremental fetch: {args.chat_messages:,} messages in {args.chat_conversations:,}"
              " conversations", flush=True)
        load_before = report.load()
        chat_result = chat.run(args.chat_messages, args.chat_conversations, reseed=args.reseed, progress=progress)
        # measured after the seed (which alone takes minutes): the load while measuring is what the figures saw
        chat_section = (f"Run **{when}** — {report.nproc()} CPU ({report.cpu_model()}), {report.python()};"
                        f" load average (1/5/15 min) before the part {load_before}, after it {report.load()}"
                        " (this part does not wait for a quiet machine: read the load).\n\n"
                        + chat.render(chat_result) + "\n")
        print("\n" + chat_section, flush=True)
        if args.no_docs:
            print("(docs/BENCHMARKS.md chat block not updated: --no-docs)")
        else:
            print(f"chat block written to {report.write_block('chat', chat.HEADING, chat_section)}")
    detector_section = ""
    if "detector" in parts:
        from bench import detector

        print(f"[detector] off-platform detector: the labelled chat messages × {args.detector_repeat}", flush=True)
        notes.append(f"Detector: {wait_for_quiet(max_load, args.max_wait)}")
        detector_section = detector.render(detector.run(repeat=args.detector_repeat, progress=progress))
    events_section = ""
    if "events" in parts:
        from bench import events

        print("[events] apply / accept handler time and the event-to-subscriber lag (burst of 200)", flush=True)
        notes.append(f"Events: {wait_for_quiet(max_load, args.max_wait)}")
        events_section = events.render(events.run_handlers(progress=progress), events.run_lag(progress=progress))
        notes.append(f"Load average after events: {report.load()}")
    if "reports" in parts:
        from bench import reports

        print(f"[reports] growth report PDFs: {args.reports} reports, cold imports × {args.import_repeats // 2 + 1}",
              flush=True)
        quiet = wait_for_quiet(max_load, args.max_wait)
        notes.append(f"Reports: {quiet}")
        reports_section = reports.render_markdown(
            reports.run(args.reports, args.import_repeats // 2 + 1, progress=progress), when, quiet)
        print("\n" + reports_section, flush=True)
        if not args.no_docs:  # its own section of docs/BENCHMARKS.md: written even by a partial run (no seed needed)
            print(f"reports section written to {reports.write_doc(reports_section)}")
    if "console" in parts:  # the seed and its own platform; its own block of docs/BENCHMARKS.md
        from bench import console

        print("[console] the dashboard and the other pages at the seed's size, metrics.record per event", flush=True)
        console.run_part(when=when, quiet=wait_for_quiet(max_load, args.max_wait), warmup=20, iterations=300,
                         write=not args.no_docs, progress=progress)
    if "leaderboards" in parts:  # its own database, seeded once per size; its own block of docs/BENCHMARKS.md
        from bench import leaderboards

        print(f"[leaderboards] top 100 and my rank: {args.lb_developers:,} developers, {args.lb_entries:,} XP entries",
              flush=True)
        quiet = wait_for_quiet(max_load, args.max_wait)
        lb_result = leaderboards.run(args.lb_developers, args.lb_entries, reseed=args.reseed, progress=progress)
        lb_section = (f"Run **{when}** — {report.nproc()} CPU ({report.cpu_model()}), {report.python()}; {quiet};"
                      f" load average (1/5/15 min) after: {report.load()}.\n\n" + leaderboards.render(lb_result) + "\n")
        print("\n" + lb_section, flush=True)
        if args.no_docs or (args.lb_developers, args.lb_entries) != (1_000_000, 10_000_000):
            print("(docs/BENCHMARKS.md leaderboards block not updated: --no-docs or not the full size)")
        else:
            print(f"leaderboards block written to"
                  f" {report.write_block('leaderboards', leaderboards.HEADING, lb_section)}")
    if "growth" in parts:  # the seed for the match sort, its own databases for the rest; its own block of the doc
        from bench import growth

        developers = args.growth_developers or growth.developers_default()
        print(f"[growth] match sort at the seed's size, nightly re-evaluation of {developers:,} developers, accept +"
              f" rating → growth lag ({args.growth_lag_tasks} tasks)", flush=True)
        growth.run_part(when=when, quiet=wait_for_quiet(max_load, args.max_wait), developers=developers,
                        lag_tasks=args.growth_lag_tasks, iterations=args.iterations // 2, write=not args.no_docs,
                        progress=progress)
    money_section = ""
    if "money" in parts:
        from bench import money

        print("[money] notification handling and escrow releases (32 worker processes)", flush=True)
        notes.append(f"Money: {wait_for_quiet(max_load, args.max_wait)}")
        money_section = money.render(money.run_money(progress=progress))
        notes.append(f"Load average after money: {report.load()}")
    if m is None:
        m = report.machine("PostgreSQL (not used)", "-")
    m.load_after = report.load()
    params = (f"hall {args.warmup} warm-up + {args.iterations} measured iterations per scenario, apply"
              f" {args.apply_warmup} + {args.apply_iterations}, imports median of {args.import_repeats},"
              f" detector {args.detector_repeat} passes;"
              f" whole run {time.perf_counter() - started:.0f} s")
    section = report.render(when=when, m=m, seed=seed_text or "(not used)", params=params, hall=hall_results,
                            apply=apply_result, imports=import_results, nopyc=nopyc_results, notes=notes)
    if detector_section:
        section += ("\n\n### Off-platform detector — one chat message (`bench/detector.py`)\n\n"
                    "In process, no database: the labelled messages of tests/data scanned with the built-in rules,"
                    " each scan timed.\n\n" + detector_section)
    if events_section:
        section += ("\n\n### Events — handler time of the rewired writes, and commit → after-commit subscriber lag"
                    " (`bench/events.py`)\n\nOn its own small database, rebuilt each run; milliseconds.\n\n"
                    + events_section)
    if money_section:
        section += ("\n\n### Money — WeChat Pay notifications and escrow releases (`bench/money.py`)\n\n"
                    "On its own small database, rebuilt each run; milliseconds.\n\n" + money_section)
    print("\n" + section, flush=True)
    if write_docs:
        print(f"written to {report.write_doc(section)}")
    else:
        print("(docs/BENCHMARKS.md not updated: partial run or --no-docs)")


def _has_column(conn: Any, table: str, column: str) -> bool:
    return conn.execute(text(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = :t"
        " AND column_name = :c"), {"t": table, "c": column}).first() is not None


if __name__ == "__main__":
    main()
