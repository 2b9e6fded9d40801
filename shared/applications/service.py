"""Application use cases: one-tap apply, withdraw, merchant responses, and the 48-hour feedback guarantee."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from shared.applications import rules, texts
from shared.applications.models import Application
from shared.applications.schemas import ApplicationOut, ApplyQuota
from shared.auth.models import User
from shared.billing.plans import in_free_period
from shared.clock import start_of_shanghai_day
from shared.errors import Conflict, NotFound, TooManyRequests
from shared.events import (
    ApplicationAnswered,
    ApplicationsClosed,
    ApplicationSubmitted,
    ApplicationUnanswered,
    ApplicationWithdrawn,
    TaskAssigned,
)
from shared.pagination import ID, INT, decode_cursor, encode_cursor
from shared.profiles.models import DeveloperProfile
from shared.rules_config import load_rules
from shared.uow import UnitOfWork

if TYPE_CHECKING:
    from shared.tasks.models import Task

STATUS_NAMES = {
    "submitted": "待回复", "shortlisted": "已入围", "accepted": "已录用", "rejected": "未录用", "withdrawn": "已撤回",
    "no_response": "商家未回复", "closed": "已结束",
}


def application_out(app: Application, *, with_resume: bool, task_title: str | None = None) -> ApplicationOut:
    assert app.id is not None
    return ApplicationOut(
        id=app.id, task_id=app.task_id, task_title=task_title, developer_id=app.developer_id, note=app.note,
        status=app.status, status_name=STATUS_NAMES[app.status], reject_reason=app.reject_reason,
        created_at=app.created_at, due_at=app.due_at, responded_at=app.responded_at,
        resume=app.resume_snapshot if with_resume else None,
    )


def _premium(user: User, now: object) -> bool:
    return user.premium_until is not None and user.premium_until > now  # type: ignore[operator]


def quota(uow: UnitOfWork, developer_id: int, user: User | None = None) -> ApplyQuota:
    r = load_rules(uow)
    user = user or uow.session.get(User, developer_id)
    assert user is not None
    premium = _premium(user, uow.now)
    used = uow.execute(
        "SELECT count(*) FROM applications WHERE developer_id = :d AND created_at >= :day",
        {"d": developer_id, "day": start_of_shanghai_day(uow.now)},
    ).scalar_one()
    # Cold start (shared/billing/memberships.py): during the free period every developer gets the premium cap.
    premium_cap = premium or in_free_period(r, uow.now)
    cap = rules.daily_cap(premium=premium_cap, free_cap=r.daily_applications_free,
                          premium_cap=r.daily_applications_premium)
    return ApplyQuota(used_today=used, daily_cap=cap, premium=premium)


def apply(uow: UnitOfWork, developer_id: int, task_id: int, note: str) -> ApplicationOut:
    from shared.profiles.cards import developer_out, is_complete  # the card's shapes: only applying needs them
    from shared.tasks.models import Task

    r = load_rules(uow)
    profile = uow.session.get(DeveloperProfile, developer_id)
    if profile is None or not is_complete(profile):
        raise Conflict("RESUME_INCOMPLETE", "请先完善简历卡片（昵称、一句话介绍、技能）")
    # The developer row lock serialises one developer's applies, so the daily cap holds under concurrent taps.
    developer = uow.session.get(User, developer_id, with_for_update=True)
    q = quota(uow, developer_id, developer)
    if not rules.can_apply_today(q.used_today, q.daily_cap):
        hint = "" if q.premium else "，开通会员可提高上限"
        raise TooManyRequests("DAILY_APPLICATION_CAP", f"今日投递次数已达上限（{q.daily_cap} 次）{hint}")
    task = uow.session.get(Task, task_id, with_for_update=True)
    # A task that was never public (in review, awaiting funding) does not exist for others; one that was public
    # and moved on has simply stopped recruiting.
    if task is None or (task.published_at is None and task.merchant_id != developer_id):
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    if task.merchant_id == developer_id:
        raise Conflict("OWN_TASK", "不能投递自己发布的任务")
    if task.status != "open" or task.deadline <= uow.now:
        raise Conflict("TASK_NOT_OPEN", "任务已停止招募")
    snapshot = developer_out(profile).model_dump(mode="json")
    app = Application(task_id=task_id, developer_id=developer_id, note=note.strip(), resume_snapshot=snapshot,
                      status="submitted", created_at=uow.now, updated_at=uow.now,
                      due_at=uow.now + timedelta(hours=r.feedback_window_hours))
    try:
        with uow.session.begin_nested():
            uow.session.add(app)
    except IntegrityError:
        raise Conflict("ALREADY_APPLIED", "你已投递过该任务") from None
    assert app.id is not None
    uow.publish(ApplicationSubmitted(application_id=app.id, task_id=task_id, developer_id=developer_id,
                                     merchant_id=task.merchant_id, skill_tags=tuple(task.skill_tags),
                                     difficulty=task.difficulty))
    uow.notify(task.merchant_id, *texts.RECEIVED.render(title=task.title),
               data={"task_id": task_id, "application_id": app.id}, dedupe_key=f"application_received:{app.id}")
    return application_out(app, with_resume=False, task_title=task.title)


def withdraw(uow: UnitOfWork, developer_id: int, application_id: int) -> ApplicationOut:
    app = uow.session.get(Application, application_id, with_for_update=True)
    if app is None or app.developer_id != developer_id:
        raise NotFound("APPLICATION_NOT_FOUND", "投递记录不存在")
    if app.status not in rules.ALLOWED_FROM["withdraw"]:
        raise Conflict("APPLICATION_STATE_CONFLICT", f"投递当前为「{STATUS_NAMES[app.status]}」，不能撤回")
    app.status, app.closed_at, app.updated_at = "withdrawn", uow.now, uow.now
    uow.session.add(app)
    uow.publish(ApplicationWithdrawn(application_id=application_id, task_id=app.task_id, developer_id=developer_id))
    return application_out(app, with_resume=False)


def _merchant_application(uow: UnitOfWork, merchant_id: int, application_id: int) -> tuple[Application, Task]:
    from shared.tasks.models import Task

    app = uow.session.get(Application, application_id)
    if app is None:
        raise NotFound("APPLICATION_NOT_FOUND", "投递记录不存在")
    # Lock the task first, then the application: the same order as apply / accept, so no deadlock.
    task = uow.session.get(Task, app.task_id, with_for_update=True)
    assert task is not None
    if task.merchant_id != merchant_id:
        # Someone else's applicant: do not even confirm it exists.
        raise NotFound("APPLICATION_NOT_FOUND", "投递记录不存在")
    uow.session.refresh(app, with_for_update=True)
    return app, task


def respond(uow: UnitOfWork, merchant_id: int, application_id: int, action: str, reason: str | None = None
            ) -> ApplicationOut:
    """shortlist / accept / reject. Accepting assigns the task and closes the other applications in one batch."""
    from shared.tasks.transitions import next_status, set_status

    app, task = _merchant_application(uow, merchant_id, application_id)
    if app.status not in rules.ALLOWED_FROM[action]:
        raise Conflict("APPLICATION_STATE_CONFLICT", f"投递当前为「{STATUS_NAMES[app.status]}」，不能执行此操作")
    if action == "accept":
        if task.status != "open":
            raise Conflict("TASK_NOT_OPEN", "任务已不在招募中，不能录用")
        task.assignee_id = app.developer_id
        set_status(uow, task, next_status(task, "assign"))
    # Only the first answer an application gets counts toward the merchant's 48 h response rate.
    first = app.responded_at is None
    if first:
        app.responded_at = uow.now
    app.status = rules.RESPONSES[action]
    app.reject_reason = reason if action == "reject" else None
    app.updated_at = uow.now
    if action in ("accept", "reject"):
        app.closed_at = uow.now
    uow.session.add(app)
    assert app.id is not None and task.id is not None and app.responded_at is not None
    uow.publish(ApplicationAnswered(application_id=app.id, task_id=task.id, developer_id=app.developer_id,
                                    merchant_id=merchant_id, answer=app.status, first=first, reason=reason or "",
                                    on_time=rules.responded_on_time(app.responded_at, app.due_at)))
    if action == "accept":
        uow.publish(TaskAssigned(task_id=task.id, merchant_id=merchant_id, developer_id=app.developer_id,
                                 application_id=app.id))
    uow.notify(app.developer_id, *texts.ANSWERED[action].render(title=task.title, reason=reason),
               data={"task_id": task.id, "application_id": app.id}, dedupe_key=f"application_{app.status}:{app.id}")
    if action == "accept":
        close_active_applications(uow, task.id, merchant_id, task.title, kind="position_filled")
    return application_out(app, with_resume=True, task_title=task.title)


def close_active_applications(uow: UnitOfWork, task_id: int, merchant_id: int, title: str, *, kind: str) -> int:
    """Close every still-active application of the task in one statement and tell each developer, kindly."""
    rows = uow.execute(
        "UPDATE applications SET status = 'closed', closed_at = :now, updated_at = :now"
        " WHERE task_id = :t AND status IN ('submitted', 'shortlisted')"
        " RETURNING id, developer_id, responded_at, due_at",
        {"now": uow.now, "t": task_id},
    ).all()
    if not rows:
        return 0
    notice = texts.CLOSED[kind]
    answered = on_time = 0
    if kind == "position_filled":
        # Being told the position is filled is an answer: it counts toward the response rate.
        unanswered = [r for r in rows if r.responded_at is None]
        answered = len(unanswered)
        on_time = sum(1 for r in unanswered if rules.responded_on_time(uow.now, r.due_at))
        if unanswered:
            uow.execute("UPDATE applications SET responded_at = :now WHERE id = ANY(:ids)",
                        {"now": uow.now, "ids": [r.id for r in unanswered]})
    for r in rows:
        uow.notify(r.developer_id, *notice.render(title=title),
                   data={"task_id": task_id, "application_id": r.id}, dedupe_key=f"application_{kind}:{r.id}")
    uow.publish(ApplicationsClosed(task_id=task_id, merchant_id=merchant_id, reason=kind,
                                   application_ids=tuple(r.id for r in rows),
                                   developer_ids=tuple(r.developer_id for r in rows), answered=answered,
                                   answered_on_time=on_time))
    return len(rows)


def applicants(uow: UnitOfWork, merchant_id: int, task_id: int, status: str | None, cursor: str | None,
               limit: int, *, sort: str = "applied") -> tuple[list[ApplicationOut], str | None]:
    from shared.tasks.models import Task

    task = uow.session.get(Task, task_id)
    if task is None or task.merchant_id != merchant_id:
        raise NotFound("TASK_NOT_FOUND", "任务不存在")
    if sort == "fit":
        items, next_cursor = _applicants_by_fit(uow, task, status, cursor, limit)
    else:
        items, next_cursor = _applicants_applied(uow, task, status, cursor, limit)
    from shared.credit.queries import reputations_of

    reliability = reputations_of(uow, [i.developer_id for i in items])  # read through the credit area's queries
    for item in items:
        item.reliability = reliability[item.developer_id]
    return items, next_cursor


def _applicants_applied(uow: UnitOfWork, task: Any, status: str | None, cursor: str | None, limit: int
                        ) -> tuple[list[ApplicationOut], str | None]:
    task_id = task.id
    sql = "SELECT id FROM applications WHERE task_id = :t"
    params: dict = {"t": task_id, "n": limit + 1}
    if status:
        sql += " AND status = :s"
        params["s"] = status
    if cursor:
        (last,) = decode_cursor(cursor, ID)
        sql += " AND id > :c"
        params["c"] = int(last)
    ids = [r.id for r in uow.execute(sql + " ORDER BY id LIMIT :n", params).all()]
    apps = [uow.session.get(Application, i) for i in ids[:limit]]
    items = [application_out(a, with_resume=True, task_title=task.title) for a in apps if a]
    return items, encode_cursor(items[-1].id) if len(ids) > limit else None


def _applicants_by_fit(uow: UnitOfWork, task: Any, status: str | None, cursor: str | None, limit: int
                       ) -> tuple[list[ApplicationOut], str | None]:
    """Applicants ranked by fit (skill match, rating, reliability — read through growth's queries), best first, each
    with its reasons; keyset on (score, id). A task has at most a few hundred applicants: all are scored."""
    from shared.growth.queries import applicant_fit

    sql = "SELECT id, developer_id FROM applications WHERE task_id = :t" + (" AND status = :s" if status else "")
    found = uow.execute(sql, {"t": task.id, "s": status}).all()
    fits = applicant_fit(uow, list(task.skill_tags), task.difficulty, [r.developer_id for r in found])
    ranked = sorted(((fits[r.developer_id].score, r.id, r.developer_id) for r in found), key=lambda x: (-x[0], x[1]))
    if cursor:
        last_score, last_id = decode_cursor(cursor, INT, ID)
        ranked = [x for x in ranked if x[0] < last_score or (x[0] == last_score and x[1] > last_id)]
    items = []
    for score, app_id, developer_id in ranked[:limit]:
        app = uow.session.get(Application, app_id)
        assert app is not None
        out = application_out(app, with_resume=True, task_title=task.title)
        out.fit_score, out.fit_reasons = score, list(fits[developer_id].reasons)
        items.append(out)
    return items, encode_cursor(items[-1].fit_score, items[-1].id) if len(ranked) > limit else None


def my_applications(uow: UnitOfWork, developer_id: int, cursor: str | None, limit: int
                    ) -> tuple[list[ApplicationOut], str | None]:
    sql = ("SELECT a.id, t.title FROM applications a JOIN tasks t ON t.id = a.task_id WHERE a.developer_id = :d")
    params: dict = {"d": developer_id, "n": limit + 1}
    if cursor:
        (last,) = decode_cursor(cursor, ID)
        sql += " AND a.id < :c"
        params["c"] = int(last)
    rows = uow.execute(sql + " ORDER BY a.id DESC LIMIT :n", params).all()
    items = []
    for r in rows[:limit]:
        app = uow.session.get(Application, r.id)
        assert app is not None
        items.append(application_out(app, with_resume=False, task_title=r.title))
    return items, encode_cursor(items[-1].id) if len(rows) > limit else None


def run_feedback_guarantee(uow: UnitOfWork, batch: int = 500) -> dict[str, int]:
    """Timer: reminders at 24 h / 40 h and the no-response close at 48 h for every unanswered application.

    Rows are locked with SKIP LOCKED, and every action is re-derived from stored state, so a timer firing twice, two
    timers overlapping, or a timer running hours late each do exactly the owed work once.
    """
    r = load_rules(uow)
    earliest = min([h for h in r.feedback_reminder_hours if h < r.feedback_window_hours] + [r.feedback_window_hours])
    rows = uow.execute(
        "SELECT a.id, a.task_id, a.developer_id, a.created_at, a.due_at, a.reminded_24_at, a.reminded_40_at,"
        " t.merchant_id, t.title FROM applications a JOIN tasks t ON t.id = a.task_id"
        " WHERE a.status = 'submitted' AND a.created_at <= :cutoff"
        " ORDER BY a.created_at LIMIT :n FOR UPDATE OF a SKIP LOCKED",
        {"cutoff": uow.now - timedelta(hours=earliest), "n": batch},
    ).all()
    counts = {"reminded": 0, "closed": 0}
    for row in rows:
        reminded = {h for h, at in ((24, row.reminded_24_at), (40, row.reminded_40_at)) if at is not None}
        action = rules.feedback_action(created_at=row.created_at, now=uow.now, window_hours=r.feedback_window_hours,
                                       reminder_hours=r.feedback_reminder_hours, reminded=reminded)
        if action is None:
            continue
        if action.kind == "remind":
            _remind(uow, row, action.hour)
            counts["reminded"] += 1
        else:
            _close_unanswered(uow, row, r.no_response_compensation_points)
            counts["closed"] += 1
    return counts


def _remind(uow: UnitOfWork, row: Any, hour: int) -> None:
    # Mark every reminder up to this one as sent: a late timer does not send the stale earlier ones afterwards.
    sets = ["reminded_24_at = coalesce(reminded_24_at, :now)"]
    if hour >= 40:
        sets.append("reminded_40_at = coalesce(reminded_40_at, :now)")
    uow.execute(f"UPDATE applications SET {', '.join(sets)}, updated_at = :now WHERE id = :id",
                {"now": uow.now, "id": row.id})
    left = 48 - hour
    uow.notify(row.merchant_id, *texts.FEEDBACK_REMINDER.render(title=row.title, hour=hour, left=left),
               data={"task_id": row.task_id, "application_id": row.id},
               dedupe_key=f"feedback_reminder_{hour}:{row.id}")


def _close_unanswered(uow: UnitOfWork, row: Any, points: int) -> None:
    """Closed as no_response; the merchant's response rate drops and the developer's compensation points are granted
    by their owners' subscribers of ApplicationUnanswered."""
    app_id = row.id
    uow.execute("UPDATE applications SET status = 'no_response', closed_at = :now, updated_at = :now WHERE id = :id",
                {"now": uow.now, "id": app_id})
    uow.publish(ApplicationUnanswered(application_id=app_id, task_id=row.task_id, developer_id=row.developer_id,
                                      merchant_id=row.merchant_id, compensation_points=points))
    uow.notify(row.developer_id, *texts.NO_RESPONSE.render(title=row.title, points=points),
               data={"task_id": row.task_id, "application_id": app_id},
               dedupe_key=f"application_no_response:{app_id}")
