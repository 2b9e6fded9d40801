"""Operator routes of the tasks area. They belong to other functions' URLs — the review queue to `admin`
(/admin/tasks/…), platform tasks to `payments` (/payments/admin/platform-tasks…) — and are composed into those
functions by functions/admin/index.py and functions/payments/index.py, so no area's routes call another area's use
cases."""

from __future__ import annotations

from shared.http.router import Request, Router
from shared.tasks import schemas as s
from shared.tasks import service
from shared.uow import run

ADMIN = ("admin",)
review_router = Router("admin")
platform_router = Router("payments")


@review_router.get("/admin/tasks/review-queue", summary="待审核任务", response=list[s.TaskOut], roles=ADMIN)
def review_queue(req: Request) -> list[s.TaskOut]:
    return run(lambda uow: service.review_queue(uow))


@review_router.post("/admin/tasks/{task_id:int}/approve", summary="审核通过", body=s.ReviewDecision,
                   response=s.TaskOut, roles=ADMIN,
                   errors=("TASK_STATE_CONFLICT", "TASK_NOT_FOUND", "PLATFORM_BUDGET_INSUFFICIENT"))
def approve(req: Request, body: s.ReviewDecision) -> s.TaskOut:
    return run(lambda uow: service.approve_task(uow, req.user_id, req.params["task_id"], body.reason))


@review_router.post("/admin/tasks/{task_id:int}/reject", summary="审核驳回", body=s.RejectTask,
                   response=s.TaskOut, roles=ADMIN,
                   errors=("TASK_STATE_CONFLICT", "MILESTONE_NOT_FOUND", "TASK_NOT_FOUND", "REFUND_EXCEEDS_ESCROW",
                           "REFUND_SOURCE_UNKNOWN"))
def reject(req: Request, body: s.RejectTask) -> s.TaskOut:
    return run(lambda uow: service.reject_task(uow, req.user_id, req.params["task_id"], body.reason))


@platform_router.post("/payments/admin/platform-tasks", summary="发布平台任务（由平台预算托管，发布即上线）",
                     body=s.TaskCreate, response=s.TaskOut, status=201, roles=ADMIN,
                     errors=("PLATFORM_BUDGET_INSUFFICIENT", "ADMIN_REQUIRED", "MERCHANT_PROFILE_REQUIRED",
                             "TASK_STATE_CONFLICT", "CONTENT_CHECK_UNAVAILABLE", "TASK_NOT_FOUND"))
def publish_platform_task(req: Request, body: s.TaskCreate) -> s.TaskOut:
    data = body.model_copy(update={"is_platform": True})
    return service.publish_task(req.user_id, data)


@platform_router.post("/payments/admin/platform-tasks/{task_id:int}/cancel",
                     summary="取消平台任务（托管退回平台预算）", body=s.CancelTask, response=s.TaskOut, roles=ADMIN,
                     errors=("TASK_STATE_CONFLICT", "MILESTONE_NOT_FOUND", "TASK_NOT_FOUND", "REFUND_EXCEEDS_ESCROW",
                             "REFUND_SOURCE_UNKNOWN"))
def cancel_platform_task(req: Request, body: s.CancelTask) -> s.TaskOut:
    return run(lambda uow: service.cancel_platform_task(uow, req.user_id, req.params["task_id"], body.reason))
