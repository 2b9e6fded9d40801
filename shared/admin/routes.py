"""HTTP routes of the `admin` function (operators): rules, dead letters, the ledger check, event replay. Every write
is audited (AdminAudited events). Operator routes that run another area's use cases live in that area
(shared/tasks/admin_routes.py) and are composed into this function by functions/admin/index.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events import AdminAudited
from shared.http.fields import Timestamp
from shared.http.router import Request, Router
from shared.rules_config import Rules, load_rules, set_rule
from shared.uow import run

router = Router("admin")
ADMIN = ("admin",)


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Any = Field(description="新的取值（JSON）")


class FailedJob(BaseModel):
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    last_error: str | None
    updated_at: datetime


class RetriedCount(BaseModel):
    count: int


class LedgerCheck(BaseModel):
    ok: bool
    problems: list[str]
    totals: dict[str, int] = Field(description="各类账户余额合计（分）")
    transactions: int
    postings: int


@router.get("/admin/rules", summary="运营可调规则（当前值）", response=Rules, roles=ADMIN)
def get_rules(req: Request) -> Rules:
    return run(load_rules)


@router.put("/admin/rules/{key:str}", summary="修改一条规则（无需发版）", body=RuleIn, response=Rules, roles=ADMIN,
            errors=("UNKNOWN_RULE",))
def put_rule(req: Request, body: RuleIn) -> Rules:
    return run(lambda uow: set_rule(uow, req.params["key"], body.value, admin_id=req.user_id))


@router.get("/admin/jobs/failed", summary="失败的后台任务（死信）", response=list[FailedJob], roles=ADMIN)
def failed_jobs(req: Request) -> list[FailedJob]:
    from shared import jobs

    return [FailedJob.model_validate(j) for j in run(jobs.failed_jobs)]


@router.post("/admin/jobs/{job_id:int}/retry", summary="重新执行失败的后台任务（不在失败状态的任务计数为 0）",
             response=RetriedCount, roles=ADMIN, errors=("JOB_NOT_FOUND",))
def retry_job(req: Request) -> RetriedCount:
    from shared import jobs

    return RetriedCount(count=int(run(lambda uow: jobs.retry_failed(uow, req.params["job_id"], admin_id=req.user_id))))


@router.get("/admin/ledger/check", summary="账本核对：校验全部不变量并给出各类账户合计", response=LedgerCheck,
            roles=ADMIN)
def ledger_check(req: Request) -> LedgerCheck:
    from shared.db import get_engine
    from shared.ledger.check import check_ledger

    with get_engine().connect() as conn:
        report = check_ledger(conn)
    run(lambda uow: uow.publish(AdminAudited(admin_id=req.user_id, action="ledger.check", entity_name="ledger",
                                             entity_id=0, after={"ok": report.ok})))
    return LedgerCheck.model_validate(report.as_dict())


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event: str = Field(min_length=1, max_length=80, description="事件类型，如 TaskCompleted")
    subscriber: str = Field(min_length=1, max_length=120, description="订阅者名称（shared/subscriptions.py）")
    since: Timestamp = Field(description="起始时间（含）")
    until: Timestamp = Field(description="结束时间（不含）")


class ReplayOut(BaseModel):
    queued: int = Field(description="排队重放的事件数")
    last_occurred_at: datetime | None = Field(description="本次排队的最后一个事件的发生时间（没有则为空）")
    truncated: bool = Field(description="达到单次上限：请从 last_occurred_at 起再次重放")


@router.post("/admin/events/replay", summary="重放历史事件给一个订阅者（回填新徽章、挑战等）", body=ReplayIn,
             response=ReplayOut, roles=ADMIN, errors=("VALIDATION_FAILED",))
def replay_events(req: Request, body: ReplayIn) -> ReplayOut:
    from shared.events.delivery import replay_events as replay

    def use_case(uow: Any) -> ReplayOut:
        result = replay(uow, body.event, body.subscriber, body.since, body.until)
        uow.publish(AdminAudited(admin_id=req.user_id, action="events.replay", entity_name="subscriber",
                                 entity_id=0, after={**body.model_dump(mode="json"), "queued": result["queued"]}))
        return ReplayOut.model_validate(result)

    return run(use_case)
