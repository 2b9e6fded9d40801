"""HTTP routes of the `admin` function (operators). Every write is audited in the behaviour log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.http.router import Request, Router
from shared.rules_config import Rules, load_rules, set_rule
from shared.tasks import schemas as ts
from shared.tasks import service as tasks
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


class Count(BaseModel):
    count: int


class LedgerCheck(BaseModel):
    ok: bool
    problems: list[str]
    totals: dict[str, int] = Field(description="各类账户余额合计（分）")
    transactions: int
    postings: int


@router.get("/admin/tasks/review-queue", summary="待审核任务", response=list[ts.TaskOut], roles=ADMIN)
def review_queue(req: Request) -> list[ts.TaskOut]:
    return run(lambda uow: tasks.review_queue(uow))


@router.post("/admin/tasks/{task_id:int}/approve", summary="审核通过", body=ts.ReviewDecision, response=ts.TaskOut,
             roles=ADMIN, errors=("TASK_STATE_CONFLICT", "TASK_NOT_FOUND", "PLATFORM_BUDGET_INSUFFICIENT"))
def approve(req: Request, body: ts.ReviewDecision) -> ts.TaskOut:
    return run(lambda uow: tasks.approve_task(uow, req.user_id, req.params["task_id"], body.reason))


@router.post("/admin/tasks/{task_id:int}/reject", summary="审核驳回", body=ts.RejectTask, response=ts.TaskOut,
             roles=ADMIN,
             errors=("TASK_STATE_CONFLICT", "MILESTONE_NOT_FOUND", "TASK_NOT_FOUND", "REFUND_EXCEEDS_ESCROW",
                     "REFUND_SOURCE_UNKNOWN"))
def reject(req: Request, body: ts.RejectTask) -> ts.TaskOut:
    return run(lambda uow: tasks.reject_task(uow, req.user_id, req.params["task_id"], body.reason))


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
             response=Count, roles=ADMIN, errors=("JOB_NOT_FOUND",))
def retry_job(req: Request) -> Count:
    from shared import jobs

    return Count(count=int(run(lambda uow: jobs.retry_failed(uow, req.params["job_id"], admin_id=req.user_id))))


@router.get("/admin/ledger/check", summary="账本核对：校验全部不变量并给出各类账户合计", response=LedgerCheck,
            roles=ADMIN)
def ledger_check(req: Request) -> LedgerCheck:
    from shared.db import get_engine
    from shared.ledger.check import check_ledger

    with get_engine().connect() as conn:
        report = check_ledger(conn)
    run(lambda uow: uow.record("ledger", 0, "checked", actor_id=req.user_id, data={"ok": report.ok}))
    return LedgerCheck.model_validate(report.as_dict())
