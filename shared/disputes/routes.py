"""HTTP routes of the `disputes` function: parties open disputes and add evidence; admins see the queue and rule."""

from __future__ import annotations

from shared.disputes import schemas as s
from shared.disputes import service
from shared.http.router import Request, Router
from shared.uow import run

router = Router("disputes")
ADMIN = ("admin",)


@router.post("/disputes", summary="对已交付的任务发起纠纷（冻结托管赏金）", body=s.OpenDisputeIn, response=s.DisputeOut,
             status=201, errors=("TASK_NOT_FOUND", "TASK_STATE_CONFLICT", "DISPUTE_EXISTS"))
def open_dispute(req: Request, body: s.OpenDisputeIn) -> s.DisputeOut:
    return run(lambda uow: service.open_dispute(uow, req.user_id, body))


@router.get("/disputes", summary="我参与的纠纷", response=s.DisputeList)
def mine(req: Request) -> s.DisputeList:
    return s.DisputeList(items=run(lambda uow: service.my_disputes(uow, req.user_id)))


@router.get("/disputes/queue", summary="纠纷调解队列（含证据时间线与风险评估）", query=s.QueueQuery,
            response=s.DisputeList, roles=ADMIN, errors=("INVALID_CURSOR",))
def admin_queue(req: Request, query: s.QueueQuery) -> s.DisputeList:
    items, cursor = run(lambda uow: service.queue(uow, query.status, query.limit, query.cursor))
    return s.DisputeList(items=items, next_cursor=cursor)


@router.get("/disputes/{dispute_id:int}", summary="纠纷详情与证据时间线（仅双方与调解员）", response=s.DisputeOut,
            errors=("DISPUTE_NOT_FOUND",))
def one(req: Request) -> s.DisputeOut:
    return run(lambda uow: service.get_dispute(uow, req.user_id, req.params["dispute_id"]))


@router.post("/disputes/{dispute_id:int}/evidence", summary="补充说明与证据", body=s.EvidenceIn,
             response=s.EntryOut, status=201, errors=("DISPUTE_NOT_FOUND", "DISPUTE_CLOSED"))
def evidence(req: Request, body: s.EvidenceIn) -> s.EntryOut:
    return run(lambda uow: service.add_evidence(uow, req.user_id, req.params["dispute_id"], body))


@router.post("/disputes/{dispute_id:int}/ruling", summary="裁决：全额退款、全额支付或按比例分配（由账本执行）",
             body=s.RulingIn, response=s.DisputeOut, roles=ADMIN,
             errors=("DISPUTE_NOT_FOUND", "DISPUTE_CLOSED", "ESCROW_NOT_SETTLED", "MILESTONE_NOT_FOUND",
                     "TASK_NOT_FOUND", "ALREADY_RELEASED", "REFUND_EXCEEDS_ESCROW", "REFUND_SOURCE_UNKNOWN",
                     "TASK_STATE_CONFLICT"))
def ruling(req: Request, body: s.RulingIn) -> s.DisputeOut:
    return run(lambda uow: service.rule(uow, req.user_id, req.params["dispute_id"], body))
