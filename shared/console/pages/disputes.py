"""Disputes: the queue; one dispute's full evidence timeline in time order (the task chat with its off-platform
flags, deliveries, revision requests, the event log, the parties' statements — the disputes area's `evidence`), both
parties' credit profiles with their reasons and the risk score with its reasons; and the ruling — refund / payout /
split with amounts, and the reasons of the current assessment the mediator relied on (ticked) — in two steps: a
preview that shows where every fen goes (the developer's gross part, the commission on it, the developer's share, the
merchant's refund) and the reasons, then the confirmation, which runs the disputes area's use case (the ledger moves
the money in its transaction; the ruling and its reasons are audited as `dispute.rule`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from shared.billing.queries import is_enterprise
from shared.chat.detection import KIND_NAMES
from shared.console import web
from shared.disputes import schemas as s
from shared.disputes import service as disputes
from shared.errors import Conflict, ValidationFailed
from shared.ledger.escrow import escrow_held
from shared.payouts.commission import split
from shared.rules_config import load_rules
from shared.uow import UnitOfWork, run

web.nav("disputes", "纠纷调解", "/disputes", order=40)

MAX_YUAN = Decimal(100_000_000)  # above any reward (Rules.max_reward_fen is ¥1,000,000): a typo, not a ruling


def _list(uow: UnitOfWork, status: str) -> list[Any]:
    return uow.execute(
        "SELECT d.id, d.task_id, t.title, d.merchant_id, d.developer_id, d.opened_by, d.reason, d.status, d.outcome,"
        " d.escrow_fen, d.created_at, d.ruled_at FROM disputes d JOIN tasks t ON t.id = d.task_id"
        " WHERE d.status = :s ORDER BY " + ("d.created_at, d.id" if status == "open" else "d.ruled_at DESC, d.id DESC")
        + " LIMIT 100", {"s": status}).all()


@web.get("/disputes", nav="disputes")
def queue(page: web.Page) -> web.Answer:
    """纠纷队列"""
    status = "ruled" if page.query.get("status") == "ruled" else "open"
    rows = run(lambda uow: _list(uow, status))
    return web.html(page, "disputes.html", rows=rows, state=status, outcomes=s.OUTCOME_NAMES)


def _detail(uow: UnitOfWork, admin_id: int, dispute_id: int) -> dict[str, Any]:
    d = disputes.get_dispute(uow, admin_id, dispute_id)
    deliveries = uow.execute("SELECT round, content, links, decision, decision_note, created_at FROM deliveries"
                             " WHERE task_id = :t ORDER BY round", {"t": d.task_id}).all()
    parties = {r.id: r.name for r in uow.execute(
        "SELECT u.id, coalesce(nullif(m.name, ''), nullif(p.display_name, ''), u.nickname) AS name FROM users u"
        " LEFT JOIN merchant_profiles m ON m.user_id = u.id LEFT JOIN developer_profiles p ON p.user_id = u.id"
        " WHERE u.id IN (:m, :d)", {"m": d.merchant_id, "d": d.developer_id}).all()}
    return {"d": d, "deliveries": deliveries, "parties": parties, "held_fen": escrow_held(uow, d.task_id),
            "reasons": offered_reasons(d)}


SOURCE_NAMES = {"chat": "聊天", "delivery": "交付", "revision": "修改要求", "event": "事件", "entry": "陈述"}


def offered_reasons(d: s.DisputeOut) -> list[tuple[str, str]]:
    """The reasons a ruling may rely on, as the disputes area accepts them: every reason of the current assessment
    (both parties' risk reasons and credit reasons), once each, with whose and which kind it is."""
    if d.risk is None:
        return []
    seen: dict[str, str] = {}
    for who, party in (("商家", d.risk.merchant), ("开发者", d.risk.developer)):
        for r in party.reasons:
            seen.setdefault(r.reason, f"{who} · 风险")
        for c in party.credit_reasons:
            seen.setdefault(c.reason, f"{who} · 信用")
    return [(text, where) for text, where in seen.items()]


@web.get("/disputes/{dispute_id:int}", nav="disputes")
def dispute(page: web.Page) -> web.Answer:
    """纠纷详情、证据时间线、风险评估与裁决"""
    info = run(lambda uow: _detail(uow, page.admin_id, page.params["dispute_id"]))
    return web.html(page, "dispute.html", outcomes=s.OUTCOME_NAMES, sources=SOURCE_NAMES, flag_names=KIND_NAMES,
                    **info)


def fen_from_yuan(text: str, field: str) -> int:
    """"1,234.5" 元 → 123450 fen, exactly (Decimal); at most 2 decimals."""
    try:
        value = Decimal(text.replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise ValidationFailed.field(field, "请输入金额（元），如 400 或 400.50") from None
    if not value.is_finite() or not 0 < value <= MAX_YUAN or value != value.quantize(Decimal("0.01")):
        raise ValidationFailed.field(field, "金额须大于 0、不超过一亿元，最多两位小数")
    return int(value * 100)


def _ruling_in(form: dict[str, str]) -> s.RulingIn:
    outcome = form.get("outcome", "")
    payout = None
    if outcome == "split":
        payout = int(form["payout_fen"]) if form.get("payout_fen", "").isdigit() else \
            fen_from_yuan(form.get("payout_yuan", ""), "payout_yuan")
    return web.validated(s.RulingIn, {"outcome": outcome, "payout_fen": payout, "note": form.get("note", ""),
                                      "relied_on": relied_on(form)})


def relied_on(form: dict[str, str]) -> list[str]:
    """The ticked reasons: checkboxes `relied_on.<n>` whose value is the reason's text (a form keeps one value per
    name), in the order shown, blanks and repeats dropped."""
    keyed = []
    for key, value in form.items():
        prefix, _, n = key.partition(".")
        if prefix == "relied_on" and n.isdigit() and value.strip():
            keyed.append((int(n), value.strip()))
    return list(dict.fromkeys(value for _, value in sorted(keyed)))


def _plan(uow: UnitOfWork, admin_id: int, dispute_id: int, ruling: s.RulingIn) -> dict[str, Any]:
    """Where the money would go, computed like the payouts area will compute it (the same commission function, the
    merchant's membership and the rules in force); the reasons ticked checked against the current assessment (the
    use case checks them again when it rules)."""
    d = uow.execute("SELECT d.id, d.status, d.task_id, d.merchant_id, t.is_platform FROM disputes d"
                    " JOIN tasks t ON t.id = d.task_id WHERE d.id = :id", {"id": dispute_id}).first()
    if d is None:
        from shared.errors import NotFound

        raise NotFound("DISPUTE_NOT_FOUND", "纠纷不存在")
    if d.status != "open":
        raise Conflict("DISPUTE_CLOSED", "纠纷已裁决")
    held = escrow_held(uow, d.task_id)
    gross = {"payout": held, "refund": 0}.get(ruling.outcome, ruling.payout_fen or 0)
    if ruling.outcome == "split" and not 0 < gross < held:
        raise ValidationFailed.field("payout_yuan", f"按比例分配时，支付给开发者的金额须在 0.01 元到"
                                                    f" {(held - 1) / 100:.2f} 元之间（托管 {held / 100:.2f} 元）")
    if ruling.relied_on:
        offered = {text for text, _ in offered_reasons(disputes.get_dispute(uow, admin_id, dispute_id))}
        unknown = [r for r in ruling.relied_on if r not in offered]
        if unknown:
            raise ValidationFailed.field("relied_on", f"该理由已不在当前风险评估中：{unknown[0]}，请刷新页面")
    parts = split(gross, is_enterprise(uow, d.merchant_id, uow.now), load_rules(uow), platform_task=d.is_platform)
    return {"held_fen": held, "gross_fen": gross, "commission_fen": parts.commission_fen,
            "share_fen": parts.share_fen, "refund_fen": held - gross}


@web.post("/disputes/{dispute_id:int}/ruling/preview")
def preview(page: web.Page) -> web.Answer:
    """裁决预览（确认前）"""
    dispute_id = page.params["dispute_id"]
    ruling = _ruling_in(page.form)
    plan = run(lambda uow: _plan(uow, page.admin_id, dispute_id, ruling))
    return web.partial(page, "partials/ruling_confirm.html", back=f"{web.BASE}/disputes/{dispute_id}",
                       dispute_id=dispute_id, ruling=ruling, plan=plan, outcomes=s.OUTCOME_NAMES)


@web.post("/disputes/{dispute_id:int}/ruling")
def rule(page: web.Page) -> web.Answer:
    """确认并执行裁决"""
    dispute_id = page.params["dispute_id"]
    if page.form.get("confirmed") != "1":
        raise ValidationFailed.field("confirmed", "请先预览并确认裁决金额")
    ruling = _ruling_in(page.form)
    expected = page.form.get("held_fen", "")

    def execute(uow: UnitOfWork) -> Any:
        plan = _plan(uow, page.admin_id, dispute_id, ruling)
        if str(plan["held_fen"]) != expected:  # the escrow changed since the preview: look again before ruling
            raise Conflict("ESCROW_CHANGED", "托管金额已变化，请重新预览后再确认")
        return disputes.rule(uow, page.admin_id, dispute_id, ruling)

    d = run(execute)
    return web.partial(page, "partials/ruling_done.html", back=f"{web.BASE}/disputes/{dispute_id}", d=d)
