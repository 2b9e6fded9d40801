"""Promotion (置顶推荐): a merchant pays to have an open task ranked first in the hall for 1, 3 or 7 days (prices and
durations are operator rules, default ¥30 / ¥50 / ¥80 — inside SPEC's ¥30–¥80).

A paid promotion order becomes one `promotions` row and moves `tasks.promoted_until` forward. Promotions of one task
stack like memberships: bought while promoted, the new window starts where the current one ends. The hall ranks a
task first while `promoted_until > now` (shared/tasks/hall.py); the memberships timer clears `promoted_until` once it
has passed so the hall's partial index only ever holds live promotions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.billing import texts
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.events import PromotionGranted
from shared.rules_config import Rules, load_rules
from shared.uow import UnitOfWork

_BATCH = 1000


def promotion_price_fen(rules: Rules, days: int) -> int:
    prices = rules.promotion_prices_fen
    if days not in prices:
        allowed = "、".join(str(d) for d in sorted(prices))
        raise ValidationFailed.field("days", f"置顶天数须为 {allowed} 天之一")
    return prices[days]


def promotable_task(uow: UnitOfWork, merchant_id: int, task_id: int, *, lock: bool = False) -> Any:
    """The merchant's own open task, or the error that says why it cannot be promoted."""
    row = uow.execute(
        "SELECT id, merchant_id, title, status, deadline, promoted_until FROM tasks WHERE id = :t"
        + (" FOR UPDATE" if lock else ""), {"t": task_id}).first()
    if row is None:
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    if row.merchant_id != merchant_id:
        raise Forbidden("NOT_TASK_OWNER", "只有任务发布者可以操作")
    if row.status != "open" or row.deadline <= uow.now:
        raise Conflict("TASK_NOT_OPEN", "只有招募中的任务可以置顶推荐")
    return row


def grant_promotion(uow: UnitOfWork, *, order_id: int, out_trade_no: str, task_id: int, merchant_id: int, days: int,
                    price_fen: int) -> dict[str, Any] | None:
    """Apply a paid promotion; None when that order was already applied. Also usable by the payments area for a
    promotion paid together with the escrow (pass that order's id and the promotion part of its amount).

    The task row lock serialises two promotions of one task paid at once, so the second stacks on the first.
    A task that stopped recruiting between ordering and paying still gets its row (the money was received and is
    accounted for); the hall shows only open tasks, so it simply has no effect there.
    """
    task = uow.execute("SELECT id, title, promoted_until FROM tasks WHERE id = :t FOR UPDATE", {"t": task_id}).first()
    if task is None:
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    if uow.execute("SELECT 1 FROM promotions WHERE source_order_id = :o", {"o": order_id}).first():
        return None
    current = task.promoted_until if task.promoted_until and task.promoted_until > uow.now else None
    start = current or uow.now
    end = start + timedelta(days=days)
    row = uow.execute(
        "INSERT INTO promotions (task_id, merchant_id, days, price_fen, starts_at, ends_at, source_order_id,"
        " out_trade_no, created_at) VALUES (:t, :m, :d, :p, :s, :e, :o, :no, :now)"
        " ON CONFLICT (source_order_id) DO NOTHING RETURNING id",
        {"t": task_id, "m": merchant_id, "d": days, "p": price_fen, "s": start, "e": end, "o": order_id,
         "no": out_trade_no, "now": uow.now}).first()
    if row is None:
        return None
    uow.execute("UPDATE tasks SET promoted_until = :e, updated_at = :now WHERE id = :t",
                {"e": end, "now": uow.now, "t": task_id})
    uow.publish(PromotionGranted(task_id=task_id, merchant_id=merchant_id, promotion_id=row.id, order_id=order_id,
                                 days=days, price_fen=price_fen, until=end.isoformat()))
    uow.notify(merchant_id, *texts.PROMOTION_STARTED.render(title=task.title, until=_beijing(end)),
               data={"task_id": task_id, "promotion_id": row.id}, dedupe_key=f"promotion_started:{row.id}")
    return {"id": row.id, "task_id": task_id, "starts_at": start, "ends_at": end}


def end_promotions(uow: UnitOfWork) -> int:
    """Mark ended promotions and clear `promoted_until` of tasks whose promotion has passed (part of the hourly
    memberships timer). The hall already ignores a past `promoted_until`; clearing it keeps the index small."""
    rows = uow.execute(
        # A MATERIALIZED pick (not `IN (SELECT … LIMIT)`, which PostgreSQL may re-run) keeps the batch bounded.
        "WITH picked AS MATERIALIZED (SELECT id FROM promotions"
        " WHERE ended_at IS NULL AND ends_at <= :now ORDER BY ends_at LIMIT :n FOR UPDATE SKIP LOCKED)"
        " UPDATE promotions SET ended_at = :now FROM picked WHERE promotions.id = picked.id"
        " RETURNING promotions.id, task_id, merchant_id", {"now": uow.now, "n": _BATCH}).all()
    # Also covers a promoted_until set without a promotions row (e.g. by another area): the column is the truth.
    uow.execute("UPDATE tasks SET promoted_until = NULL WHERE promoted_until IS NOT NULL AND promoted_until <= :now"
                " AND status = 'open'", {"now": uow.now})
    for r in rows:
        still = uow.execute("SELECT promoted_until FROM tasks WHERE id = :t", {"t": r.task_id}).scalar_one_or_none()
        if still is not None and still > uow.now:
            continue  # a later promotion of the same task is running: nothing ended for the merchant
        uow.notify(r.merchant_id, *texts.PROMOTION_ENDED.render(),
                   data={"task_id": r.task_id, "promotion_id": r.id}, dedupe_key=f"promotion_ended:{r.id}")
    return len(rows)


def task_promotion(uow: UnitOfWork, merchant_id: int, task_id: int) -> dict[str, Any]:
    """The promotion status of the merchant's task and what can be bought."""
    row = uow.execute("SELECT merchant_id, promoted_until FROM tasks WHERE id = :t", {"t": task_id}).first()
    if row is None:
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    if row.merchant_id != merchant_id:
        raise Forbidden("NOT_TASK_OWNER", "只有任务发布者可以操作")
    rules = load_rules(uow)
    history = uow.execute(
        "SELECT id, days, price_fen, starts_at, ends_at, out_trade_no, created_at FROM promotions"
        " WHERE task_id = :t ORDER BY starts_at DESC, id DESC LIMIT 50", {"t": task_id}).mappings().all()
    until = row.promoted_until if row.promoted_until and row.promoted_until > uow.now else None
    return {"task_id": task_id, "promoted": until is not None, "promoted_until": until,
            "options": [{"days": d, "price_fen": p} for d, p in sorted(rules.promotion_prices_fen.items())],
            "history": [dict(h) for h in history]}


def _beijing(at: Any) -> str:
    from shared.clock import SHANGHAI

    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
