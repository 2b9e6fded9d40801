"""HTTP routes of the `work` function: delivery, revision, acceptance, ratings."""

from __future__ import annotations

from shared.http.router import Request, Router
from shared.uow import run
from shared.work import schemas as s
from shared.work import service

router = Router("work")


@router.get("/work/{task_id:int}", summary="交付与评价记录（仅任务双方）", response=s.WorkState,
            errors=("TASK_NOT_FOUND",))
def state(req: Request) -> s.WorkState:
    return run(lambda uow: service.work_state(uow, req.user_id, req.params["task_id"]))


@router.post("/work/{task_id:int}/deliveries", summary="提交交付", body=s.DeliverIn, response=s.DeliveryOut,
             status=201, roles=("developer",), errors=("TASK_STATE_CONFLICT", "TASK_NOT_FOUND"))
def deliver(req: Request, body: s.DeliverIn) -> s.DeliveryOut:
    return run(lambda uow: service.deliver(uow, req.user_id, req.params["task_id"], body))


@router.post("/work/{task_id:int}/revision", summary="要求修改（最多 2 次）", body=s.RevisionIn,
             response=s.DeliveryOut, roles=("merchant",),
             errors=("REVISION_LIMIT", "TASK_STATE_CONFLICT", "TASK_NOT_FOUND"))
def revision(req: Request, body: s.RevisionIn) -> s.DeliveryOut:
    return run(lambda uow: service.request_revision(uow, req.user_id, req.params["task_id"], body.note))


@router.post("/work/{task_id:int}/accept", summary="验收通过", body=s.AcceptIn, response=s.DeliveryOut,
             roles=("merchant",), errors=("TASK_STATE_CONFLICT", "TASK_NOT_FOUND"))
def accept(req: Request, body: s.AcceptIn) -> s.DeliveryOut:
    return run(lambda uow: service.accept(uow, req.user_id, req.params["task_id"], body.note))


@router.post("/work/{task_id:int}/ratings", summary="评价对方（每个任务一次）", body=s.RateIn, response=s.RatingOut,
             status=201, errors=("ALREADY_RATED", "TASK_NOT_COMPLETED", "TASK_NOT_FOUND"))
def rate(req: Request, body: s.RateIn) -> s.RatingOut:
    return run(lambda uow: service.rate(uow, req.user_id, req.params["task_id"], body.stars, body.comment))
