"""Disputes: either party of a delivered task opens one, both add evidence to a timeline, an admin rules.

    delivered ──open──▶ disputed (escrow frozen: no acceptance, no auto-acceptance, no revision)
    disputed ──ruling──▶ completed (payout or split: some money goes to the developer) | failed (full refund)

A ruling is executed in ONE transaction: DisputeRuled is published and its in-transaction subscribers move the money
— the payouts area releases the developer's part exactly like an acceptance (`release_escrow` task:<id> → payable +
revenue, commission on that part, a payout queued), the payments area refunds the rest to the merchant (to
refunds:in_flight, the WeChat refund queued) — then the task and the dispute change state, the decision is audited
and both parties are told. Either all of it happens or none of it.

Evidence is private to the two parties and the mediators, so it is not sent through the public content check: a
flagged word must never stop someone from documenting a dispute.
"""

from __future__ import annotations

import json
from typing import Any

from shared.auth.models import User
from shared.chat.queries import task_chat, task_chat_flags
from shared.credit.queries import profile_of
from shared.disputes import risk as risk_rules
from shared.disputes import schemas as s
from shared.disputes import texts
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.events import AdminAudited, DisputeOpened, DisputeRuled, TaskCompleted
from shared.ledger.accounts import REVENUE, yuan
from shared.ledger.escrow import escrow_held
from shared.ledger.service import already_posted, posted_amount
from shared.rules_config import load_rules
from shared.tasks.models import Task
from shared.tasks.transitions import next_status, set_status
from shared.uow import UnitOfWork


def _is_admin(uow: UnitOfWork, user_id: int) -> bool:
    user = uow.session.get(User, user_id)
    return bool(user and user.has_role("admin"))


def _add_entry(uow: UnitOfWork, dispute_id: int, author_id: int | None, role: str, kind: str, body: str,
               links: list[dict[str, Any]]) -> int:
    return int(uow.execute(
        "INSERT INTO dispute_entries (dispute_id, author_id, role, kind, body, links, created_at)"
        " VALUES (:d, :a, :r, :k, :b, CAST(:l AS jsonb), :now) RETURNING id",
        {"d": dispute_id, "a": author_id, "r": role, "k": kind, "b": body,
         "l": json.dumps(links, ensure_ascii=False), "now": uow.now}).scalar_one())


def _links(links: list[s.EvidenceLink]) -> list[dict[str, Any]]:
    return [link.model_dump(mode="json") for link in links]


# --------------------------------------------------------------------------------------------------- parties


def open_dispute(uow: UnitOfWork, user_id: int, data: s.OpenDisputeIn) -> s.DisputeOut:
    task = uow.session.get(Task, data.task_id, with_for_update=True)
    if task is None or user_id not in (task.merchant_id, task.assignee_id):
        raise NotFound("TASK_NOT_FOUND", "任务不存在")  # outsiders see "not found"
    target = next_status(task, "dispute")  # only a delivered task: 409 otherwise
    assert task.id is not None and task.assignee_id is not None
    if uow.execute("SELECT 1 FROM disputes WHERE task_id = :t", {"t": task.id}).first():
        raise Conflict("DISPUTE_EXISTS", "该任务已发起过纠纷")
    role = "merchant" if user_id == task.merchant_id else "developer"
    held = escrow_held(uow, task.id)
    dispute_id = int(uow.execute(
        "INSERT INTO disputes (task_id, merchant_id, developer_id, opened_by, reason, escrow_fen, created_at,"
        " updated_at) VALUES (:t, :m, :d, :by, :reason, :escrow, :now, :now) RETURNING id",
        {"t": task.id, "m": task.merchant_id, "d": task.assignee_id, "by": user_id, "reason": data.reason.strip(),
         "escrow": held, "now": uow.now}).scalar_one())
    _add_entry(uow, dispute_id, user_id, role, "opened", data.reason.strip(), _links(data.links))
    set_status(uow, task, target)
    # The latest delivery is frozen by the work area's subscriber.
    uow.publish(DisputeOpened(dispute_id=dispute_id, task_id=task.id, merchant_id=task.merchant_id,
                              developer_id=task.assignee_id, opened_by=user_id))
    other = task.assignee_id if role == "merchant" else task.merchant_id
    uow.notify(other, *texts.OPENED.render(title=task.title, role=texts.ROLE_NAMES[role],
                                           reason=data.reason.strip()[:60]),
               data={"task_id": task.id, "dispute_id": dispute_id}, dedupe_key=f"dispute_opened:{dispute_id}")
    return _dispute_out(uow, dispute_id, with_risk=False)


def _dispute_for(uow: UnitOfWork, user_id: int, dispute_id: int, *, lock: bool = False) -> tuple[Any, str]:
    """The dispute and the viewer's role in it; outsiders get the same 404 as for a missing one."""
    row = uow.execute("SELECT * FROM disputes WHERE id = :id" + (" FOR UPDATE" if lock else ""),
                      {"id": dispute_id}).first()
    if row is not None:
        if user_id == row.merchant_id:
            return row, "merchant"
        if user_id == row.developer_id:
            return row, "developer"
        if _is_admin(uow, user_id):
            return row, "admin"
    raise NotFound("DISPUTE_NOT_FOUND", "纠纷不存在")


def add_evidence(uow: UnitOfWork, user_id: int, dispute_id: int, data: s.EvidenceIn) -> s.EntryOut:
    dispute, role = _dispute_for(uow, user_id, dispute_id, lock=True)
    if dispute.status != "open":
        raise Conflict("DISPUTE_CLOSED", "纠纷已裁决，不能再补充材料")
    kind = "note" if role == "admin" else "evidence"
    entry_id = _add_entry(uow, dispute.id, user_id, role, kind, data.text.strip(), _links(data.links))
    uow.execute("UPDATE disputes SET updated_at = :now WHERE id = :id", {"now": uow.now, "id": dispute.id})
    recipients = {"merchant": [dispute.developer_id], "developer": [dispute.merchant_id],
                  "admin": [dispute.merchant_id, dispute.developer_id]}[role]
    what = texts.ADDED_BY_ADMIN if role == "admin" else texts.ADDED_BY_PARTY
    for who in recipients:
        uow.notify(who, *texts.EVIDENCE.render(what=what, role=texts.ROLE_NAMES[role], dispute_id=dispute.id),
                   data={"task_id": dispute.task_id, "dispute_id": dispute.id},
                   dedupe_key=f"dispute_evidence:{entry_id}:{who}")
    return _entry_out(uow.execute("SELECT * FROM dispute_entries WHERE id = :id", {"id": entry_id}).one())


def get_dispute(uow: UnitOfWork, user_id: int, dispute_id: int) -> s.DisputeOut:
    dispute, role = _dispute_for(uow, user_id, dispute_id)
    return _dispute_out(uow, dispute.id, with_risk=role == "admin")


def my_disputes(uow: UnitOfWork, user_id: int) -> list[s.DisputeOut]:
    rows = uow.execute("SELECT id FROM disputes WHERE merchant_id = :u OR developer_id = :u ORDER BY id DESC"
                       " LIMIT 100", {"u": user_id}).all()
    return [_dispute_out(uow, r.id, with_risk=False) for r in rows]


# --------------------------------------------------------------------------------------------------- admin


def queue(uow: UnitOfWork, status: str = "open", limit: int = 50, cursor: str | None = None
          ) -> tuple[list[s.DisputeOut], str | None]:
    """Disputes for the mediators, oldest first, each with its timeline and risk assessment; keyset pages on
    (created_at, id)."""
    from shared.pagination import ID, TIME, decode_cursor, encode_cursor

    sql, params = "SELECT id, created_at FROM disputes WHERE status = :s", {"s": status, "n": limit + 1}
    if cursor:
        params["c"], params["i"] = decode_cursor(cursor, TIME, ID)
        sql += " AND (created_at, id) > (:c, :i)"
    rows = uow.execute(sql + " ORDER BY created_at, id LIMIT :n", params).all()
    items = [_dispute_out(uow, r.id, with_risk=True) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return items, encode_cursor(last.created_at, last.id) if last is not None else None


def rule(uow: UnitOfWork, admin_id: int, dispute_id: int, data: s.RulingIn) -> s.DisputeOut:
    ref = uow.execute("SELECT task_id FROM disputes WHERE id = :id", {"id": dispute_id}).first()
    if ref is None:
        raise NotFound("DISPUTE_NOT_FOUND", "纠纷不存在")
    # Lock order: task, then dispute (as opening does), so a ruling and anything else about the task queue up.
    task = uow.session.get(Task, ref.task_id, with_for_update=True)
    dispute = uow.execute("SELECT * FROM disputes WHERE id = :id FOR UPDATE", {"id": dispute_id}).one()
    assert task is not None and task.id is not None and task.assignee_id is not None
    if dispute.status != "open":
        raise Conflict("DISPUTE_CLOSED", "纠纷已裁决")
    held = escrow_held(uow, task.id)
    if data.outcome == "payout":
        gross = held
    elif data.outcome == "refund":
        gross = 0
    else:
        assert data.payout_fen is not None
        if not 0 < data.payout_fen < held:
            raise ValidationFailed.field("payout_fen", f"按比例分配时，支付给开发者的金额须在 0.01 元到 "
                                                       f"{yuan(held - 1)} 元之间（托管 {yuan(held)} 元）")
        gross = data.payout_fen
    refund = held - gross
    relied_on = _relied_on(uow, dispute, data.relied_on)
    if gross and already_posted(uow, "release_escrow", f"task:{task.id}"):
        raise Conflict("ALREADY_RELEASED", "该任务的托管赏金已释放过")
    # The money moves in the subscribers (payouts releases `gross`, payments refunds `refund`), in this transaction.
    uow.publish(DisputeRuled(dispute_id=dispute.id, task_id=task.id, merchant_id=task.merchant_id,
                             developer_id=task.assignee_id, admin_id=admin_id, outcome=data.outcome,
                             payout_gross_fen=gross, refund_fen=refund, note=data.note.strip()))
    commission = -posted_amount(uow, "release_escrow", f"task:{task.id}", REVENUE) if gross else 0
    left = escrow_held(uow, task.id)
    if left:  # never close a task with money still frozen for it: roll the whole ruling back instead
        raise Conflict("ESCROW_NOT_SETTLED", f"托管余额未能结清（剩余 {yuan(left)} 元），请联系技术支持")
    # Payout and split: the developer is paid for the work (completed); a full refund: the task failed.
    action = "rule_refund" if data.outcome == "refund" else "rule_payout"
    if action == "rule_payout":
        task.completed_at = uow.now
    before = set_status(uow, task, next_status(task, action))
    if data.outcome == "payout":  # a full payout is the work accepted: it counts like an acceptance
        uow.publish(TaskCompleted(task_id=task.id, merchant_id=task.merchant_id, developer_id=task.assignee_id,
                                  skill_tags=tuple(task.skill_tags), difficulty=task.difficulty,
                                  reward_fen=task.reward_fen, via="dispute", actor_id=admin_id,
                                  is_platform=task.is_platform))
    uow.execute(
        "UPDATE disputes SET status = 'ruled', outcome = :o, escrow_fen = :held, payout_gross_fen = :gross,"
        " commission_fen = :commission, refund_fen = :refund, ruling_note = :note, ruled_by = :by, ruled_at = :now,"
        " ruling_reasons = CAST(:relied AS jsonb), updated_at = :now WHERE id = :id",
        {"o": data.outcome, "held": held, "gross": gross, "commission": commission, "refund": refund,
         "note": data.note.strip(), "by": admin_id, "now": uow.now, "id": dispute.id,
         "relied": json.dumps(relied_on, ensure_ascii=False)})
    share = gross - commission
    summary = texts.RULING_SUMMARY.format(outcome=s.OUTCOME_NAMES[data.outcome], share=yuan(share), gross=yuan(gross),
                                          commission=yuan(commission), refund=yuan(refund), note=data.note.strip())
    _add_entry(uow, dispute.id, admin_id, "admin", "ruling", summary, [])
    uow.publish(AdminAudited(admin_id=admin_id, action="dispute.rule", entity_name="dispute", entity_id=dispute.id,
                             before={"task_status": before, "escrow_fen": held},
                             after={"task_status": task.status, "outcome": data.outcome, "payout_gross_fen": gross,
                                    "commission_fen": commission, "refund_fen": refund,
                                    "relied_on": relied_on},
                             reason=data.note.strip()))
    for who in (task.merchant_id, task.assignee_id):
        uow.notify(who, *texts.RULED.render(title=task.title, summary=summary),
                   data={"task_id": task.id, "dispute_id": dispute.id}, dedupe_key=f"dispute_ruled:{dispute.id}")
    return _dispute_out(uow, dispute.id, with_risk=True)


def _relied_on(uow: UnitOfWork, dispute: Any, chosen: list[str]) -> list[str]:
    """The reasons the ruling relied on: each must be a reason of the current risk assessment (either party's risk
    reasons or credit reasons), so the record says exactly what the mediator saw."""
    risk = assess(uow, dispute)
    offered = {r.reason for party in (risk.merchant, risk.developer) for r in party.reasons}
    offered |= {r.reason for party in (risk.merchant, risk.developer) for r in party.credit_reasons}
    picked = list(dict.fromkeys(c.strip() for c in chosen if c.strip()))
    unknown = [c for c in picked if c not in offered]
    if unknown:
        raise ValidationFailed.field("relied_on", f"不是当前风险评估中的理由：{unknown[0]}")
    return picked


# --------------------------------------------------------------------------------------------------- views


def _entry_out(row: Any) -> s.EntryOut:
    return s.EntryOut(id=row.id, author_id=row.author_id, role=row.role, kind=row.kind, body=row.body,
                      links=row.links, created_at=row.created_at)


def _dispute_out(uow: UnitOfWork, dispute_id: int, *, with_risk: bool) -> s.DisputeOut:
    d = uow.execute("SELECT d.*, t.title FROM disputes d JOIN tasks t ON t.id = d.task_id WHERE d.id = :id",
                    {"id": dispute_id}).one()
    entries = uow.execute("SELECT * FROM dispute_entries WHERE dispute_id = :id ORDER BY id",
                          {"id": dispute_id}).all()
    share = None if d.payout_gross_fen is None else d.payout_gross_fen - (d.commission_fen or 0)
    return s.DisputeOut(
        id=d.id, task_id=d.task_id, task_title=d.title, merchant_id=d.merchant_id, developer_id=d.developer_id,
        opened_by=d.opened_by, reason=d.reason, status=d.status, status_name=s.STATUS_NAMES[d.status],
        escrow_fen=d.escrow_fen, outcome=d.outcome, outcome_name=s.OUTCOME_NAMES.get(d.outcome or ""),
        payout_gross_fen=d.payout_gross_fen, commission_fen=d.commission_fen, developer_share_fen=share,
        refund_fen=d.refund_fen, ruling_note=d.ruling_note, ruled_at=d.ruled_at, created_at=d.created_at,
        timeline=[_entry_out(e) for e in entries], risk=assess(uow, d) if with_risk else None,
        evidence=evidence(uow, d, entries) if with_risk else None, ruling_reasons=list(d.ruling_reasons or []))


_EVENT_TITLES = {"TaskPublished": "发布任务", "TaskApproved": "任务通过审核", "EscrowFunded": "赏金已托管",
                 "TaskAssigned": "录用开发者", "DeliverySubmitted": "提交交付", "RevisionRequested": "要求修改",
                 "DisputeOpened": "发起纠纷", "DisputeRuled": "裁决", "TaskCompleted": "验收完成",
                 "OffPlatformContactFlagged": "聊天中试图站外联系"}


def evidence(uow: UnitOfWork, d: Any, entries: list[Any]) -> list[s.TimelineItem]:
    """Everything the mediator needs in one time-ordered list: the task chat (original text, with its flags),
    deliveries and revision requests, the task's event log, and the dispute's statements and evidence."""
    items: list[s.TimelineItem] = []
    for m in task_chat(uow, d.task_id, d.developer_id):
        who = "商家" if m.sender_id == d.merchant_id else "开发者"
        items.append(s.TimelineItem(at=m.created_at, source="chat", actor_id=m.sender_id, title=f"{who}发送消息",
                                    body=m.body, flags=list(m.flag_kinds)))
    for r in uow.execute("SELECT * FROM deliveries WHERE task_id = :t ORDER BY round", {"t": d.task_id}).all():
        items.append(s.TimelineItem(at=r.created_at, source="delivery", actor_id=r.developer_id,
                                    title=f"第 {r.round} 次交付", body=r.content))
        if r.decision == "revision_requested" and r.decided_at is not None:
            items.append(s.TimelineItem(at=r.decided_at, source="revision", actor_id=d.merchant_id,
                                        title=f"要求修改第 {r.round} 次交付", body=r.decision_note or ""))
    for e in uow.execute("SELECT name, actor_id, occurred_at FROM event_log WHERE (entity = 'task' AND entity_id = :t)"
                         " OR (entity = 'dispute' AND entity_id = :d) ORDER BY id", {"t": d.task_id, "d": d.id}).all():
        items.append(s.TimelineItem(at=e.occurred_at, source="event", actor_id=e.actor_id,
                                    title=_EVENT_TITLES.get(e.name, e.name)))
    for x in entries:
        items.append(s.TimelineItem(at=x.created_at, source="entry", actor_id=x.author_id,
                                    title={"opened": "发起纠纷陈述", "evidence": "补充证据", "note": "调解员备注",
                                           "ruling": "裁决"}.get(x.kind, x.kind), body=x.body))
    order = {"event": 0, "delivery": 1, "revision": 1, "chat": 2, "entry": 3}
    return sorted(items, key=lambda i: (i.at, order[i.source]))


def assess(uow: UnitOfWork, d: Any) -> s.DisputeRisk:
    """Gather the facts the risk rules need (shared/disputes/risk.py) and score both parties."""
    rules = load_rules(uow)
    task = uow.execute(
        "SELECT t.revision_count, t.deadline,"
        " (SELECT count(*) FROM deliveries WHERE task_id = t.id) AS deliveries,"
        " (SELECT max(created_at) FROM deliveries WHERE task_id = t.id) AS last_delivery"
        " FROM tasks t WHERE t.id = :id", {"id": d.task_id}).one()
    hours = None
    if task.last_delivery is not None:
        hours = (d.created_at - task.last_delivery).total_seconds() / 3600
    facts = risk_rules.TaskFacts(
        revision_count=task.revision_count, max_revisions=rules.max_revisions, deliveries=task.deliveries,
        delivered_late=task.last_delivery is not None and task.last_delivery > task.deadline,
        hours_from_delivery_to_dispute=hours)

    flags = task_chat_flags(uow, d.task_id, d.developer_id)

    def party(user_id: int, role: str) -> risk_rules.PartyFacts:
        table = "merchant_profiles" if role == "merchant" else "developer_profiles"
        lost_outcome = "('payout', 'split')" if role == "merchant" else "('refund')"
        column = "merchant_id" if role == "merchant" else "developer_id"
        row = uow.execute(
            f"SELECT u.created_at, p.rating_sum, p.rating_count,"
            f" {'p.responses_on_time, p.responses_due' if role == 'merchant' else 'p.completed_tasks'},"
            " (SELECT count(*) FROM disputes x WHERE x.id <> :did AND (x.merchant_id = :u OR x.developer_id = :u))"
            "   AS previous,"
            f" (SELECT count(*) FROM disputes x WHERE x.id <> :did AND x.{column} = :u AND x.status = 'ruled'"
            f"   AND x.outcome IN {lost_outcome}) AS lost"
            f" FROM users u LEFT JOIN {table} p ON p.user_id = u.id WHERE u.id = :u",
            {"u": user_id, "did": d.id}).one()
        count = row.rating_count or 0
        response_rate = None
        if role == "merchant" and row.responses_due:
            response_rate = row.responses_on_time / row.responses_due
        credit = profile_of(uow, user_id)
        return risk_rules.PartyFacts(
            credit_score=credit.score if credit.facts else None,
            off_platform_flags=int(credit.facts.get("off_platform_flags", 0)),
            chat_flags=flags.flagged_by.get(user_id, 0),
            role=role, opened_it=d.opened_by == user_id, account_age_days=(uow.now - row.created_at).days,
            previous_disputes=row.previous, previous_disputes_lost=row.lost,
            rating_average=(row.rating_sum / count) if count else None, rating_count=count,
            completed_tasks=0 if role == "merchant" else row.completed_tasks or 0, response_rate=response_rate)

    def out(r: risk_rules.Risk, user_id: int) -> s.PartyRisk:
        credit = profile_of(uow, user_id)
        return s.PartyRisk(score=r.score, level=r.level,
                           reasons=[s.RiskReason(points=p, reason=text) for p, text in r.reasons],
                           credit_score=credit.score, credit_level=credit.level,
                           credit_reasons=[s.CreditReason(**c) for c in credit.reasons],
                           chat_flags=flags.flagged_by.get(user_id, 0))

    return s.DisputeRisk(
        merchant=out(risk_rules.merchant_risk(party(d.merchant_id, "merchant"), facts), d.merchant_id),
        developer=out(risk_rules.developer_risk(party(d.developer_id, "developer"), facts), d.developer_id))
