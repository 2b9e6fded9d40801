"""Delivery, revision, acceptance (manual and automatic) and ratings."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from shared.errors import Conflict, NotFound
from shared.events import DeliverySubmitted, RatingGiven, RevisionRequested, TaskCompleted
from shared.rules_config import load_rules
from shared.tasks.models import Task
from shared.tasks.transitions import next_status, set_status
from shared.uow import UnitOfWork
from shared.work import rules, texts
from shared.work.models import Delivery, Rating
from shared.work.schemas import DeliverIn, DeliveryOut, RatingOut, WorkState


def _task_for(uow: UnitOfWork, task_id: int, user_id: int, *, role: str, lock: bool = True) -> Task:
    """The task, if `user_id` is its merchant (role='merchant'), its assignee ('developer'), or either ('party')."""
    task = uow.session.get(Task, task_id, with_for_update=lock)
    allowed = {
        "merchant": task is not None and task.merchant_id == user_id,
        "developer": task is not None and task.assignee_id == user_id,
        "party": task is not None and user_id in (task.merchant_id, task.assignee_id),
    }[role]
    if task is None or not allowed:
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    return task


def _delivery_out(d: Delivery) -> DeliveryOut:
    assert d.id is not None
    return DeliveryOut(id=d.id, task_id=d.task_id, round=d.round, content=d.content, links=d.links,
                       decision=d.decision, decision_note=d.decision_note, decided_at=d.decided_at,
                       created_at=d.created_at)


def _rating_out(r: Rating) -> RatingOut:
    assert r.id is not None
    return RatingOut(id=r.id, task_id=r.task_id, rater_id=r.rater_id, ratee_id=r.ratee_id, direction=r.direction,
                     stars=r.stars, comment=r.comment, created_at=r.created_at)


def _latest_delivery(uow: UnitOfWork, task_id: int) -> Delivery | None:
    return uow.session.exec(
        select(Delivery).where(Delivery.task_id == task_id).order_by(col(Delivery.round).desc())
    ).first()


def deliver(uow: UnitOfWork, developer_id: int, task_id: int, data: DeliverIn) -> DeliveryOut:
    task = _task_for(uow, task_id, developer_id, role="developer")
    set_status(uow, task, next_status(task, "deliver"))
    latest = _latest_delivery(uow, task_id)
    delivery = Delivery(task_id=task_id, developer_id=developer_id, round=(latest.round + 1) if latest else 1,
                        content=data.content, links=[link.model_dump(mode="json") for link in data.links],
                        created_at=uow.now)
    task.delivered_at = uow.now
    uow.session.add(delivery)
    uow.flush()
    assert delivery.id is not None
    uow.publish(DeliverySubmitted(task_id=task_id, merchant_id=task.merchant_id, developer_id=developer_id,
                                  delivery_id=delivery.id, round=delivery.round))
    uow.notify(task.merchant_id, *texts.DELIVERED.render(title=task.title, round=delivery.round),
               data={"task_id": task_id}, dedupe_key=f"work_delivered:{task_id}:{delivery.round}")
    return _delivery_out(delivery)


def request_revision(uow: UnitOfWork, merchant_id: int, task_id: int, note: str) -> DeliveryOut:
    r = load_rules(uow)
    task = _task_for(uow, task_id, merchant_id, role="merchant")
    target = next_status(task, "request_revision")
    if not rules.can_request_revision(task.revision_count, r.max_revisions):
        raise Conflict("REVISION_LIMIT", f"最多只能要求修改 {r.max_revisions} 次，请验收或发起纠纷")
    delivery = _latest_delivery(uow, task_id)
    assert delivery is not None
    delivery.decision, delivery.decision_note, delivery.decided_at = "revision_requested", note, uow.now
    task.revision_count += 1
    task.delivered_at = None
    set_status(uow, task, target)
    uow.session.add(delivery)
    assert task.assignee_id is not None
    uow.publish(RevisionRequested(task_id=task_id, merchant_id=merchant_id, developer_id=task.assignee_id,
                                  revision=task.revision_count, note=note))
    uow.notify(task.assignee_id, *texts.REVISION_REQUESTED.render(title=task.title, count=task.revision_count,
                                                                  limit=r.max_revisions, note=note),
               data={"task_id": task_id}, dedupe_key=f"revision_requested:{task_id}:{task.revision_count}")
    return _delivery_out(delivery)


def _complete(uow: UnitOfWork, task: Task, *, action: str, actor_id: int | None, note: str) -> Delivery:
    target = next_status(task, action)  # refuses before anything is read or written
    delivery = _latest_delivery(uow, task.id)  # type: ignore[arg-type]
    assert delivery is not None, "a delivered task has a delivery"
    delivery.decision = "accepted" if action == "accept" else "auto_accepted"
    delivery.decision_note, delivery.decided_at = note, uow.now
    uow.session.add(delivery)
    task.completed_at = uow.now
    set_status(uow, task, target)
    assert task.assignee_id is not None and task.id is not None
    # Settled in this same transaction by the payouts area's subscriber: the escrow releases (developer share +
    # commission) and the payout is queued, or nothing is — a task can never be completed with its money left
    # behind, nor paid without completing. The developer's completed count is the profiles area's subscriber.
    uow.publish(TaskCompleted(task_id=task.id, merchant_id=task.merchant_id, developer_id=task.assignee_id,
                              skill_tags=tuple(task.skill_tags), difficulty=task.difficulty,
                              reward_fen=task.reward_fen, via=action, actor_id=actor_id, is_platform=task.is_platform))
    accepted = texts.ACCEPTED_BY_TIMER if action == "auto_accept" else texts.ACCEPTED
    uow.notify(task.assignee_id, *accepted.render(title=task.title),
               data={"task_id": task.id}, dedupe_key=f"work_accepted:{task.id}")
    if action == "auto_accept":
        uow.notify(task.merchant_id, *texts.AUTO_ACCEPTED.render(title=task.title), data={"task_id": task.id},
                   dedupe_key=f"work_auto_accepted:{task.id}")
    return delivery


def accept(uow: UnitOfWork, merchant_id: int, task_id: int, note: str) -> DeliveryOut:
    task = _task_for(uow, task_id, merchant_id, role="merchant")
    return _delivery_out(_complete(uow, task, action="accept", actor_id=merchant_id, note=note))


def auto_accept_overdue(uow: UnitOfWork, batch: int = 200) -> int:
    """Timer: deliveries nobody answered within the window (7 days by default) are accepted."""
    r = load_rules(uow)
    rows = uow.execute(
        "SELECT id FROM tasks WHERE status = 'delivered' AND delivered_at <= :cutoff ORDER BY delivered_at"
        " LIMIT :n FOR UPDATE SKIP LOCKED",
        {"cutoff": uow.now - timedelta(days=r.auto_accept_days), "n": batch},
    ).all()
    for row in rows:
        task = uow.session.get(Task, row.id)
        assert task is not None and task.delivered_at is not None
        if rules.auto_accept_due(task.delivered_at, uow.now, r.auto_accept_days):
            _complete(uow, task, action="auto_accept", actor_id=None, note="")
    return len(rows)


def rate(uow: UnitOfWork, rater_id: int, task_id: int, stars: int, comment: str) -> RatingOut:
    task = _task_for(uow, task_id, rater_id, role="party")
    if task.status != "completed":
        raise Conflict("TASK_NOT_COMPLETED", "任务验收完成后才能评价")
    assert task.assignee_id is not None
    if rater_id == task.merchant_id:
        ratee, direction = task.assignee_id, "merchant_to_developer"
    else:
        ratee, direction = task.merchant_id, "developer_to_merchant"
    rating = Rating(task_id=task_id, rater_id=rater_id, ratee_id=ratee, direction=direction, stars=stars,
                    comment=comment.strip(), created_at=uow.now)
    try:
        with uow.session.begin_nested():
            uow.session.add(rating)
    except IntegrityError:
        raise Conflict("ALREADY_RATED", "你已评价过该任务") from None
    assert rating.id is not None
    # The ratee's aggregate on their profile is the profiles area's subscriber.
    uow.publish(RatingGiven(rating_id=rating.id, task_id=task_id, rater_id=rater_id, ratee_id=ratee,
                            direction=direction, stars=stars))
    uow.notify(ratee, *texts.RATED.render(title=task.title, stars=stars), data={"task_id": task_id},
               dedupe_key=f"rated:{rating.id}")
    return _rating_out(rating)


def work_state(uow: UnitOfWork, user_id: int, task_id: int) -> WorkState:
    r = load_rules(uow)
    task = _task_for(uow, task_id, user_id, role="party", lock=False)
    deliveries = uow.session.exec(
        select(Delivery).where(Delivery.task_id == task_id).order_by(col(Delivery.round))
    ).all()
    ratings = uow.session.exec(select(Rating).where(Rating.task_id == task_id).order_by(col(Rating.id))).all()
    auto_at = None
    if task.status == "delivered" and task.delivered_at:
        auto_at = task.delivered_at + timedelta(days=r.auto_accept_days)
    return WorkState(task_id=task_id, status=task.status, revision_count=task.revision_count,
                     max_revisions=r.max_revisions, auto_accept_at=auto_at,
                     deliveries=[_delivery_out(d) for d in deliveries], ratings=[_rating_out(x) for x in ratings])
