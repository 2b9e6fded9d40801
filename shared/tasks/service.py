"""Task use cases: publish, edit, cancel, review, expire, read.

What follows from a task's change in other areas happens in their subscribers (shared/subscriptions.py): a closed
task's applications close and its escrow goes back, a platform task is funded from the budget, milestones are
created. The WeChat content check runs before the unit of work opens (never under the task's row lock).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from shared import clock
from shared.auth.models import User
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.events import (
    AdminAudited,
    HallBrowsed,
    TaskApproved,
    TaskClosed,
    TaskEdited,
    TaskFlaggedForReview,
    TaskPublished,
)
from shared.moderation import Verdict, assess, author_openid
from shared.profiles import skills as taxonomy
from shared.profiles.models import MerchantProfile
from shared.rules_config import Rules, load_rules
from shared.tasks import rules as task_rules
from shared.tasks import texts
from shared.tasks.models import Task
from shared.tasks.schemas import TaskCreate, TaskOut, TaskUpdate
from shared.tasks.transitions import next_status, set_status
from shared.uow import UnitOfWork, run

MIN_LEAD = timedelta(hours=1)
MAX_HORIZON = timedelta(days=365)


def task_out(task: Task, merchant: MerchantProfile | None = None) -> TaskOut:
    from shared.applications.rules import response_rate

    assert task.id is not None
    return TaskOut(
        id=task.id, merchant_id=task.merchant_id, title=task.title, description=task.description,
        skill_tags=task.skill_tags, difficulty=task.difficulty, reward_fen=task.reward_fen, deadline=task.deadline,
        status=task.status, status_name=task_rules.STATUS_NAMES[task.status], review_reason=task.review_reason,
        assignee_id=task.assignee_id, revision_count=task.revision_count,
        applications_count=task.applications_count, published_at=task.published_at, created_at=task.created_at,
        is_platform=task.is_platform, funded_at=task.funded_at, merchant_name=merchant.name if merchant else None,
        merchant_response_rate=response_rate(merchant.responses_on_time, merchant.responses_due) if merchant else None,
    )


def _check_terms(uow: UnitOfWork, rules: Rules, *, reward_fen: int | None, deadline: object | None) -> None:
    errors = []
    if reward_fen is not None and not rules.min_reward_fen <= reward_fen <= rules.max_reward_fen:
        low, high = rules.min_reward_fen / 100, rules.max_reward_fen / 100
        errors.append({"field": "reward_fen", "message": f"赏金须在 {low:.2f} 元到 {high:.2f} 元之间"})
    if deadline is not None:
        if deadline < uow.now + MIN_LEAD:  # type: ignore[operator]
            errors.append({"field": "deadline", "message": "截止时间须至少在 1 小时之后"})
        elif deadline > uow.now + MAX_HORIZON:  # type: ignore[operator]
            errors.append({"field": "deadline", "message": "截止时间不能超过一年"})
    if errors:
        raise ValidationFailed(errors)


def _close(uow: UnitOfWork, task: Task, action: str, reason: str, *, note: str = "", actor_id: int | None) -> None:
    """Close a task before work started; its applications and escrow follow (subscribers of TaskClosed)."""
    assert task.id is not None
    set_status(uow, task, next_status(task, action))
    uow.publish(TaskClosed(task_id=task.id, merchant_id=task.merchant_id, reason=reason, note=note,
                           actor_id=actor_id))


def publish_task(merchant_id: int, data: TaskCreate) -> TaskOut:
    """POST /tasks: the content check (WeChat, outside any transaction), then the publication in one unit of work."""
    verdict = assess({"title": data.title, "description": data.description}, author_openid(merchant_id))
    return run(lambda uow: publish_checked(uow, merchant_id, data, verdict))


def publish_checked(uow: UnitOfWork, merchant_id: int, data: TaskCreate, verdict: Verdict) -> TaskOut:
    rules = load_rules(uow)
    tags = taxonomy.check_skills(data.skill_tags, "skill_tags")
    _check_terms(uow, rules, reward_fen=data.reward_fen, deadline=data.deadline)
    merchant = uow.session.get(MerchantProfile, merchant_id)
    user = uow.session.get(User, merchant_id)
    if data.is_platform:
        # The operators publish platform tasks themselves: publishing is the approval; the budget pays (below).
        if user is None or not user.has_role("admin"):
            raise Forbidden("ADMIN_REQUIRED", "只有管理员可以发布平台任务")
        decision = task_rules.PublishDecision("awaiting_funding" if rules.escrow_required else "open", None)
    else:
        if merchant is None:
            raise Conflict("MERCHANT_PROFILE_REQUIRED", "请先完善商家资料")
        decision = task_rules.decide_publication(
            merchant_approved_before=merchant.tasks_approved > 0, content_suggest=verdict.suggest,
            content_label=verdict.label, escrow_required=rules.escrow_required)
    task = Task(
        merchant_id=merchant_id, title=data.title, description=data.description, skill_tags=tags,
        difficulty=data.difficulty, reward_fen=data.reward_fen, deadline=data.deadline, status=decision.status,
        review_reason=decision.review_reason, moderation_label=verdict.label, is_platform=data.is_platform,
        published_at=uow.now if decision.status == "open" else None, created_at=uow.now, updated_at=uow.now,
    )
    uow.session.add(task)
    uow.flush()
    assert task.id is not None
    # Milestones (shared/payments) are created, and a platform task funded from the budget, by subscribers.
    milestones = tuple({"title": m.title, "reward_fen": m.reward_fen} for m in data.milestones or ())
    uow.publish(TaskPublished(task_id=task.id, merchant_id=merchant_id, status=task.status, skill_tags=tuple(tags),
                              difficulty=task.difficulty, reward_fen=task.reward_fen, is_platform=task.is_platform,
                              milestones=milestones))
    if task.is_platform:
        uow.publish(AdminAudited(admin_id=merchant_id, action="task.publish_platform", entity_name="task",
                                 entity_id=task.id, after={"status": task.status, "reward_fen": task.reward_fen}))
    return task_out(task, merchant)


def _own_task(uow: UnitOfWork, task_id: int, merchant_id: int, *, lock: bool = True) -> Task:
    task = uow.session.get(Task, task_id, with_for_update=lock)
    if task is None:
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    if task.merchant_id != merchant_id:
        raise Forbidden("NOT_TASK_OWNER", "只有任务发布者可以操作")
    return task


def edit_task(merchant_id: int, task_id: int, data: TaskUpdate) -> TaskOut:
    """PATCH /tasks/{id}: changed text is checked (WeChat, outside any transaction) before the edit's unit of work."""
    changes = data.model_dump(exclude_unset=True)
    current = run(lambda uow: _own_task(uow, task_id, merchant_id, lock=False))
    texts = {k: v for k, v in changes.items() if k in ("title", "description") and v and v != getattr(current, k)}
    verdict = assess(texts, author_openid(merchant_id)) if texts else None
    return run(lambda uow: edit_checked(uow, merchant_id, task_id, data, texts, verdict))


def edit_checked(uow: UnitOfWork, merchant_id: int, task_id: int, data: TaskUpdate, checked: dict[str, str],
                 verdict: Verdict | None) -> TaskOut:
    rules = load_rules(uow)
    task = _own_task(uow, task_id, merchant_id)
    if task.status not in task_rules.EDITABLE:
        raise Conflict("TASK_NOT_EDITABLE", "任务已有人承接或已结束，不能修改")
    changes = data.model_dump(exclude_unset=True)
    for name in ("title", "description", "skill_tags", "difficulty", "reward_fen", "deadline"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.field(name, "不能为空")
    if "skill_tags" in changes:
        changes["skill_tags"] = taxonomy.check_skills(changes["skill_tags"], "skill_tags")
    _check_terms(uow, rules, reward_fen=changes.get("reward_fen"), deadline=changes.get("deadline"))
    if "reward_fen" in changes and changes["reward_fen"] != task.reward_fen:
        # The escrow holds exactly the reward, and milestones (shared/payments) add up to it: neither may drift.
        if task.funded_at is not None:
            raise Conflict("REWARD_LOCKED", "赏金已托管，不能修改赏金金额")
        if uow.execute("SELECT 1 FROM task_milestones WHERE task_id = :t LIMIT 1", {"t": task_id}).first():
            raise Conflict("REWARD_LOCKED", "分里程碑的任务不能修改总赏金")
    text_changed = {k: v for k, v in changes.items() if k in ("title", "description") and v != getattr(task, k)}
    if any(checked.get(k) != v for k, v in text_changed.items()):  # edited by someone else since we checked
        raise Conflict("TASK_CHANGED", "任务刚刚被修改，请刷新后重试")
    for name, value in changes.items():
        setattr(task, name, value)
    task.updated_at = uow.now
    task.version += 1
    uow.session.add(task)
    assert task.id is not None
    uow.publish(TaskEdited(task_id=task.id, merchant_id=merchant_id, fields=tuple(sorted(changes))))
    if text_changed and verdict is not None and verdict.suggest != "pass" and task.status != "pending_review":
        task.review_reason = f"内容安全检测：{verdict.label or verdict.suggest}"
        task.moderation_label = verdict.label
        set_status(uow, task, next_status(task, "flag_for_review"))
        uow.publish(TaskFlaggedForReview(task_id=task.id, merchant_id=merchant_id, reason=task.review_reason))
    return task_out(task, uow.session.get(MerchantProfile, merchant_id))


def cancel_task(uow: UnitOfWork, merchant_id: int, task_id: int, reason: str) -> TaskOut:
    task = _own_task(uow, task_id, merchant_id)
    _close(uow, task, "cancel", "cancelled", note=reason, actor_id=merchant_id)
    return task_out(task, uow.session.get(MerchantProfile, merchant_id))


def cancel_platform_task(uow: UnitOfWork, admin_id: int, task_id: int, reason: str) -> TaskOut:
    """Any operator may cancel a platform task before work starts; its escrow returns to the budget (payments'
    subscriber of TaskClosed)."""
    task = uow.session.get(Task, task_id, with_for_update=True)
    if task is None or not task.is_platform:
        raise NotFound("TASK_NOT_FOUND", "平台任务不存在")
    before = task.status
    _close(uow, task, "cancel", "cancelled", note=reason, actor_id=admin_id)
    uow.publish(AdminAudited(admin_id=admin_id, action="task.cancel_platform", entity_name="task", entity_id=task_id,
                             before={"status": before}, after={"status": task.status}, reason=reason))
    return task_out(task, uow.session.get(MerchantProfile, task.merchant_id))


def approve_task(uow: UnitOfWork, admin_id: int, task_id: int, note: str) -> TaskOut:
    rules = load_rules(uow)
    task = uow.session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    # A task funded before (flagged back to review after an edit) must not be asked for its money again.
    target = next_status(task, "approve", rules if task.funded_at is None else None)
    before = set_status(uow, task, target)
    task.review_reason = None
    assert task.id is not None
    # The merchant's approval count (profiles) and a platform task's funding (payments) are subscribers.
    uow.publish(TaskApproved(task_id=task.id, merchant_id=task.merchant_id, admin_id=admin_id, status=task.status,
                             is_platform=task.is_platform, note=note))
    uow.publish(AdminAudited(admin_id=admin_id, action="task.approve", entity_name="task", entity_id=task.id,
                             before={"status": before}, after={"status": target}, reason=note,
                             subject_user_id=task.merchant_id))
    uow.notify(task.merchant_id, *texts.APPROVED.render(title=task.title),
               data={"task_id": task.id}, dedupe_key=f"task_approved:{task.id}")
    return task_out(task)


def reject_task(uow: UnitOfWork, admin_id: int, task_id: int, reason: str) -> TaskOut:
    task = uow.session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    before = task.status
    task.review_reason = reason
    _close(uow, task, "reject", "rejected", note=reason, actor_id=admin_id)
    assert task.id is not None
    uow.publish(AdminAudited(admin_id=admin_id, action="task.reject", entity_name="task", entity_id=task.id,
                             before={"status": before}, after={"status": task.status}, reason=reason,
                             subject_user_id=task.merchant_id))
    uow.notify(task.merchant_id, *texts.REJECTED.render(title=task.title, reason=reason),
               data={"task_id": task.id}, dedupe_key=f"task_rejected:{task.id}")
    return task_out(task)


def review_queue(uow: UnitOfWork, limit: int = 50) -> list[TaskOut]:
    tasks = uow.session.exec(
        select(Task).where(Task.status == "pending_review").order_by(col(Task.created_at)).limit(limit)
    ).all()
    return [task_out(t) for t in tasks]


def expire_overdue(uow: UnitOfWork, batch: int = 200) -> int:
    """Timer: tasks past their deadline that nobody took close as expired, and their applicants are told."""
    rows = uow.execute(
        "SELECT id FROM tasks WHERE status IN ('open', 'pending_review', 'awaiting_funding') AND deadline <= :now"
        " ORDER BY deadline LIMIT :n FOR UPDATE SKIP LOCKED",
        {"now": uow.now, "n": batch},
    ).all()
    for row in rows:
        task = uow.session.get(Task, row.id)
        assert task is not None
        _close(uow, task, "expire", "expired", actor_id=None)
        uow.notify(task.merchant_id, *texts.EXPIRED.render(title=task.title),
                   data={"task_id": row.id}, dedupe_key=f"task_expired:{row.id}")
    return len(rows)


def get_task(uow: UnitOfWork, task_id: int, viewer_id: int | None) -> TaskOut:
    task = uow.session.get(Task, task_id)
    if task is None:
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    if task.status not in task_rules.PUBLIC and not _may_see(uow, task, viewer_id):
        # Not 403: whether a hidden task exists is itself private.
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    from shared.credit.queries import reputation_of

    out = task_out(task, uow.session.get(MerchantProfile, task.merchant_id))
    out.merchant_reputation = reputation_of(uow, task.merchant_id)
    return out


def _may_see(uow: UnitOfWork, task: Task, viewer_id: int | None) -> bool:
    if viewer_id is None:
        return False
    if viewer_id in (task.merchant_id, task.assignee_id):
        return True
    applied = uow.execute("SELECT 1 FROM applications WHERE task_id = :t AND developer_id = :d",
                          {"t": task.id, "d": viewer_id}).first()
    if applied:
        return True
    viewer = uow.session.get(User, viewer_id)
    return bool(viewer and viewer.has_role("admin"))


def my_tasks(uow: UnitOfWork, merchant_id: int, status: str | None, cursor: str | None, limit: int
             ) -> tuple[list[TaskOut], str | None]:
    from shared.pagination import ID, decode_cursor, encode_cursor

    stmt = select(Task).where(Task.merchant_id == merchant_id)
    if status:
        stmt = stmt.where(Task.status == status)
    if cursor:
        (last_id,) = decode_cursor(cursor, ID)
        stmt = stmt.where(col(Task.id) < int(last_id))
    tasks = uow.session.exec(stmt.order_by(col(Task.id).desc()).limit(limit + 1)).all()
    merchant = uow.session.get(MerchantProfile, merchant_id)
    page = [task_out(t, merchant) for t in tasks[:limit]]
    return page, encode_cursor(page[-1].id) if len(tasks) > limit else None


# (user, Beijing day) this container already published HallBrowsed for: most hall requests skip the database.
_browsed: set[tuple[int, str]] = set()


def browsed(user_id: int, query: dict[str, str]) -> None:
    """HallBrowsed, at most once per user per Beijing day (the event log's dedupe key makes it once across
    containers; the set above spares a write on every page of the same visit)."""
    from shared.clock import start_of_shanghai_day

    day = start_of_shanghai_day(clock.now()).astimezone(clock.SHANGHAI).date().isoformat()
    if (user_id, day) in _browsed:
        return
    text = "&".join(f"{k}={v}" for k, v in sorted(query.items()))[:200]
    run(lambda uow: uow.publish(HallBrowsed(user_id=user_id, query=text), dedupe_key=f"HallBrowsed:{user_id}:{day}"))
    if len(_browsed) > 10_000:
        _browsed.clear()
    _browsed.add((user_id, day))
