"""Money benchmarks (issue 3): WeChat Pay notification handling p50/p99, and escrow releases per second with 32
concurrent workers.

Runs on its own small database (`codelink_bench_money`, rebuilt each run so runs are comparable), through the real
code paths: orders are created by the payments use case against the fake WeChat Pay, the fake "pays" them, and the
notification it would send — signed with its platform key, resource encrypted with the APIv3 key — is handed to the
`payments` function's `main_handler` in process, exactly as SCF would. Releases are the merchant's acceptance use
case (`shared.work.service.accept`: escrow release + commission + payout row + payout job, one transaction), run by
32 worker processes, each with its own interpreter and database connection, like 32 warm SCF instances.

    python -m bench.money [--orders 400] [--releases 800] [--workers 32]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text

from bench.stats import Summary

DATABASE = "codelink_bench_money"
# A port nothing listens on: the fake's own delivery attempts fail harmlessly; we deliver in process instead.
UNREACHABLE_NOTIFY_URL = "http://127.0.0.1:9/payments/notify"


@dataclass(frozen=True)
class MoneyResult:
    notify_first: Summary  # a new TRANSACTION.SUCCESS: verify, decrypt, lock, post, open the task
    notify_replay: Summary  # the same notification again (WeChat retries): verify, decrypt, dedupe
    releases: int
    workers: int
    seconds: float
    release_latency: Summary

    @property
    def releases_per_second(self) -> float:
        return self.releases / self.seconds


def start_platform(workers: int) -> Any:
    os.environ["JOBS_KICK"] = "off"
    os.environ["DB_POOL_SIZE"] = str(workers)
    from bench.env import configure_logging
    from infra.local.platform import LocalPlatform

    configure_logging()
    platform = LocalPlatform(database_name=DATABASE, fresh_database=True, jobs_kick="off").start()
    os.environ["WECHATPAY_NOTIFY_URL"] = UNREACHABLE_NOTIFY_URL
    from shared.adapters import clients
    from shared.config import reset_settings

    reset_settings()
    clients.reset()
    return platform


def _seed_people(engine: Any, developers: int, now: datetime) -> tuple[int, list[int]]:
    """One merchant (with a WeChat openid, to pay) and `developers` developers; returns their ids."""
    with engine.begin() as conn:
        merchant = conn.execute(text(
            "INSERT INTO users (openid, nickname, roles, created_at, updated_at)"
            " VALUES ('bench-merchant', '压测商家', '{merchant}', :now, :now) RETURNING id"), {"now": now}).scalar_one()
        conn.execute(text("INSERT INTO merchant_profiles (user_id, name, tasks_approved, created_at, updated_at)"
                          " VALUES (:m, '压测商家', 1, :now, :now)"), {"m": merchant, "now": now})
        devs = [r.id for r in conn.execute(text(
            "INSERT INTO users (openid, nickname, roles, created_at, updated_at)"
            " SELECT 'bench-dev-' || g, '开发者' || g, '{developer}', :now, :now FROM generate_series(1, :n) g"
            " RETURNING id"), {"now": now, "n": developers})]
        conn.execute(text(
            "INSERT INTO developer_profiles (user_id, display_name, headline, skills, created_at, updated_at)"
            " SELECT id, nickname, '压测', '{python}', :now, :now FROM users WHERE id = ANY(:ids)"),
            {"now": now, "ids": devs})
    return merchant, devs


def _seed_tasks(engine: Any, merchant: int, n: int, now: datetime) -> list[int]:
    """`n` approved tasks waiting for their escrow (the state publishing + review leave them in)."""
    with engine.begin() as conn:
        return [r.id for r in conn.execute(text(
            "INSERT INTO tasks (merchant_id, title, description, skill_tags, difficulty, reward_fen, deadline, status,"
            " created_at, updated_at) SELECT :m, '压测任务 ' || g, '压测用的任务描述，足够长。', '{python}', 3,"
            " 10000 + (g % 50) * 1000, :deadline, 'awaiting_funding', :now, :now FROM generate_series(1, :n) g"
            " RETURNING id"), {"m": merchant, "n": n, "now": now, "deadline": now + timedelta(days=30)})]


def _signed_notification(fake: Any, resource: dict[str, Any]) -> dict[str, Any]:
    """The TRANSACTION.SUCCESS envelope WeChat Pay would POST, as a Function URL event."""
    plaintext = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode()
    nonce, ciphertext = fake.encrypt_resource(plaintext, "transaction")
    envelope = {
        "id": str(uuid.uuid4()), "create_time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": ciphertext,
                     "associated_data": "transaction", "nonce": nonce},
    }
    body = json.dumps(envelope, ensure_ascii=False).encode()
    headers = {k.lower(): v for k, v in fake.sign(body).items()}
    return {"httpMethod": "POST", "path": "/payments/notify", "body": body.decode(), "isBase64Encoded": False,
            "headers": {"content-type": "application/json", "x-scf-remote-addr": "101.226.103.0", **headers},
            "queryString": {}}


def _deliver(main_handler: Any, event: dict[str, Any]) -> float:
    started = time.perf_counter()
    answer = main_handler(event, None)
    elapsed = (time.perf_counter() - started) * 1000
    if answer["statusCode"] >= 300:
        raise RuntimeError(f"notification refused: {answer}")
    return elapsed


def bench_notifications(platform: Any, merchant: int, tasks: list[int], progress: Any) -> tuple[Summary, Summary]:
    from functions.payments.index import main_handler
    from shared.payments.funding import fund_task
    from shared.payments.schemas import FundIn

    fake = platform.fakes["wechatpay"]
    progress(f"notifications: creating {len(tasks)} JSAPI orders through the payments use case")
    events = []
    for task_id in tasks:
        order = fund_task(merchant, task_id, FundIn())
        events.append(_signed_notification(fake, fake.pay(order.out_trade_no)))
    warm = 20
    for event in events[:warm]:
        _deliver(main_handler, event)
    progress(f"notifications: delivering {len(events) - warm} first-time notifications, then their replays")
    first = [_deliver(main_handler, e) for e in events[warm:]]
    replay = [_deliver(main_handler, e) for e in events[warm:]]
    return Summary.of(first), Summary.of(replay)


def _deliver_all(engine: Any, tasks: list[int], devs: list[int], now: datetime) -> None:
    """Funded tasks → assigned and delivered (bench setup: the states apply/accept/deliver would leave them in)."""
    with engine.begin() as conn:
        for i, task_id in enumerate(tasks):
            dev = devs[i % len(devs)]
            conn.execute(text("UPDATE tasks SET status = 'delivered', assignee_id = :d, delivered_at = :now"
                              " WHERE id = :t AND status = 'open'"), {"d": dev, "now": now, "t": task_id})
            conn.execute(text("INSERT INTO deliveries (task_id, developer_id, round, content, created_at)"
                              " VALUES (:t, :d, 1, '交付内容', :now)"), {"t": task_id, "d": dev, "now": now})


def _release_worker(tasks: Any, results: Any, go: Any, merchant: int) -> None:
    """One worker process (like one warm SCF instance): its own interpreter, engine and connection."""
    from shared.uow import run
    from shared.work.service import accept

    run(lambda uow: uow.execute("SELECT 1"))  # connect before the clock starts
    results.put(("ready", 0.0))
    go.wait()
    while True:
        try:
            task_id = tasks.get_nowait()
        except queue.Empty:
            results.put(("done", 0.0))
            return
        started = time.perf_counter()
        try:
            run(lambda uow, t=task_id: accept(uow, merchant, t, ""))
        except Exception as exc:  # report, don't hide: a failed release invalidates the number
            results.put(("error", repr(exc)))
            continue
        results.put(("ok", (time.perf_counter() - started) * 1000))


def bench_releases(engine: Any, merchant: int, tasks: list[int], workers: int, progress: Any
                   ) -> tuple[float, Summary]:
    """`workers` processes take acceptances off one queue; the clock runs from "go" to the last one done."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter each, as SCF instances are
    work, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    for task_id in tasks:
        work.put(task_id)
    progress(f"releases: starting {workers} worker processes")
    procs = [ctx.Process(target=_release_worker, args=(work, results, go, merchant)) for _ in range(workers)]
    for p in procs:
        p.start()
    for _ in range(workers):
        kind, _value = results.get(timeout=120)
        if kind != "ready":
            raise RuntimeError(f"worker failed to start: {_value}")
    progress(f"releases: {len(tasks)} acceptances by {workers} concurrent worker processes")
    started = time.perf_counter()
    go.set()
    latencies: list[float] = []
    errors: list[str] = []
    finished = 0
    while finished < workers:
        kind, value = results.get(timeout=300)
        if kind == "ok":
            latencies.append(float(value))
        elif kind == "error":
            errors.append(str(value))
        else:
            finished += 1
    seconds = time.perf_counter() - started
    for p in procs:
        p.join()
    if errors:
        raise RuntimeError(f"{len(errors)} releases failed, first: {errors[0]}")
    with engine.connect() as conn:
        released = conn.execute(text("SELECT count(*) FROM ledger_transactions WHERE kind = 'release_escrow'"
                                     " AND ref = ANY(:refs)"), {"refs": [f"task:{t}" for t in tasks]}).scalar_one()
    if released != len(tasks):
        raise RuntimeError(f"expected {len(tasks)} releases in the ledger, found {released}")
    return seconds, Summary.of(latencies)


def run_money(*, orders: int = 400, releases: int = 800, workers: int = 32, progress: Any = print) -> MoneyResult:
    platform = start_platform(workers)
    try:
        from shared import clock
        from shared.db import get_engine
        from shared.ledger.check import check_ledger

        engine = get_engine()
        now = clock.now()
        merchant, devs = _seed_people(engine, developers=200, now=now)
        tasks = _seed_tasks(engine, merchant, max(orders, releases), now)
        first, replay = bench_notifications(platform, merchant, tasks, progress)
        _deliver_all(engine, tasks[:releases], devs, clock.now())
        seconds, latency = bench_releases(engine, merchant, tasks[:releases], workers, progress)
        with engine.connect() as conn:
            report = check_ledger(conn)
        if not report.ok:
            raise RuntimeError(f"ledger check failed after the benchmark: {report.problems[:3]}")
        progress(f"ledger check after the run: OK ({report.transactions} transactions)")
        return MoneyResult(first, replay, releases, workers, seconds, latency)
    finally:
        platform.stop()


def render(result: MoneyResult) -> str:
    def row(name: str, s: Summary) -> str:
        return f"| {name} | {s.n} | {s.p50:.2f} | {s.p99:.2f} | {s.max:.2f} |"

    return "\n".join([
        "| money | n | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
        row("WeChat Pay notification, first delivery (verify, decrypt, post, open task)", result.notify_first),
        row("WeChat Pay notification, replay (verify, decrypt, dedupe)", result.notify_replay),
        row(f"escrow release, one acceptance under {result.workers} concurrent workers", result.release_latency),
        "",
        f"**Escrow releases: {result.releases_per_second:.0f} per second** ({result.releases} acceptances, "
        f"{result.workers} concurrent worker processes, {result.seconds:.2f} s; each one release + commission + "
        "payout row + "
        "payout job in one transaction; ledger check OK afterwards).",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--releases", type=int, default=800)
    parser.add_argument("--workers", type=int, default=32)
    args = parser.parse_args()
    result = run_money(orders=args.orders, releases=args.releases, workers=args.workers,
                       progress=lambda m: print(f"  {m}", flush=True))
    print(render(result))


if __name__ == "__main__":
    main()
