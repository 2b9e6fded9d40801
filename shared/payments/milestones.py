"""Milestones: a task's reward split into parts, each funded by its own order into `escrow:milestone:<id>`.

The task opens when its first milestone is funded; later milestones are funded while the work goes on. Releasing a
milestone's escrow to the developer is the payouts area's (it reads the same account code, `milestone_escrow(id)`).
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import ValidationFailed
from shared.payments import rules
from shared.payments.models import Milestone, milestone_from_row
from shared.payments.schemas import MilestoneIn, MilestoneOut
from shared.uow import UnitOfWork

STATE_NAMES = {"awaiting_funding": "待托管", "funded": "已托管", "released": "已结算", "refunded": "已退款",
               "cancelled": "已取消"}
MAX_MILESTONES = 10


def check_milestones(milestones: Sequence[MilestoneIn], reward_fen: int) -> None:
    """Refuse a split that does not add up: the task's reward is what the merchant agreed to pay in total."""
    if not 2 <= len(milestones) <= MAX_MILESTONES:
        raise ValidationFailed.field("milestones", f"里程碑数量须为 2 到 {MAX_MILESTONES} 个")
    total = sum(m.reward_fen for m in milestones)
    if total != reward_fen:
        raise ValidationFailed.field(
            "milestones", f"各里程碑赏金之和（{total / 100:.2f} 元）须等于任务赏金（{reward_fen / 100:.2f} 元）")


def create_milestones(uow: UnitOfWork, task_id: int, milestones: Sequence[MilestoneIn]) -> None:
    for position, m in enumerate(milestones, start=1):
        uow.execute(
            "INSERT INTO task_milestones (task_id, position, title, reward_fen, created_at, updated_at)"
            " VALUES (:t, :p, :title, :r, :now, :now)",
            {"t": task_id, "p": position, "title": m.title.strip(), "r": m.reward_fen, "now": uow.now})


def milestones_of(uow: UnitOfWork, task_id: int, *, lock: bool = False) -> list[Milestone]:
    return [milestone_from_row(r) for r in uow.execute(
        "SELECT id, task_id, position, title, reward_fen, state, funded_at FROM task_milestones WHERE task_id = :t"
        " ORDER BY position" + (" FOR UPDATE" if lock else ""), {"t": task_id}).all()]


def has_milestones(uow: UnitOfWork, task_id: int) -> bool:
    return uow.execute("SELECT 1 FROM task_milestones WHERE task_id = :t LIMIT 1", {"t": task_id}).first() is not None


def milestone_out(row: Milestone) -> MilestoneOut:
    return MilestoneOut(id=row.id, position=row.position, title=row.title, reward_fen=row.reward_fen,
                        state=row.state, state_name=STATE_NAMES[row.state], funded_at=row.funded_at)


def milestone_by_id(uow: UnitOfWork, milestone_id: int, *, lock: bool = False) -> Milestone:
    return milestone_from_row(uow.execute(
        "SELECT id, task_id, position, title, reward_fen, state, funded_at FROM task_milestones WHERE id = :id"
        + (" FOR UPDATE" if lock else ""), {"id": milestone_id}).one())


def move(uow: UnitOfWork, action: str, *, task_id: int | None = None, milestone_id: int | None = None) -> int:
    """Apply `action` of the milestone state machine (shared/payments/rules.py) to one milestone, or to every
    milestone of a task it applies to; returns how many moved."""
    assert (task_id is None) != (milestone_id is None)
    which = "task_id = :t" if task_id is not None else "id = :m"
    funded = ", funded_at = :now" if action == "fund" else ""
    return int(uow.execute(
        f"UPDATE task_milestones SET state = :to{funded}, updated_at = :now WHERE {which} AND state = ANY(:from)",
        {"to": rules.milestone_to(action), "from": sorted(rules.MILESTONE_TRANSITIONS[action]), "now": uow.now,
         "t": task_id, "m": milestone_id}).rowcount)


def cancel_unfunded(uow: UnitOfWork, task_id: int) -> None:
    """The task closed: milestones nobody funded will never be."""
    move(uow, "cancel", task_id=task_id)
