"""HTTP routes of the `applications` function."""

from __future__ import annotations

from shared.applications import schemas as s
from shared.applications import service
from shared.http.router import Request, Router
from shared.uow import run

router = Router("applications")


@router.post("/applications", summary="一键投递", body=s.ApplyIn, response=s.ApplicationOut, status=201,
             roles=("developer",),
             errors=("RESUME_INCOMPLETE", "DAILY_APPLICATION_CAP", "ALREADY_APPLIED", "TASK_NOT_OPEN", "OWN_TASK",
                     "TASK_NOT_FOUND"))
def apply(req: Request, body: s.ApplyIn) -> s.ApplicationOut:
    return run(lambda uow: service.apply(uow, req.user_id, body.task_id, body.note))


@router.get("/applications/quota", summary="今日投递额度", response=s.ApplyQuota, roles=("developer",))
def quota(req: Request) -> s.ApplyQuota:
    return run(lambda uow: service.quota(uow, req.user_id))


@router.get("/applications/mine", summary="我的投递", query=s.MyApplicationsQuery, response=s.ApplicationList,
            roles=("developer",), errors=("INVALID_CURSOR",))
def mine(req: Request, query: s.MyApplicationsQuery) -> s.ApplicationList:
    items, cursor = run(lambda uow: service.my_applications(uow, req.user_id, query.cursor, query.limit))
    return s.ApplicationList(items=items, next_cursor=cursor)


@router.get("/applications", summary="我的任务的投递者（仅任务发布者）", query=s.ApplicantsQuery,
            response=s.ApplicationList, roles=("merchant",), errors=("TASK_NOT_FOUND", "INVALID_CURSOR"))
def applicants(req: Request, query: s.ApplicantsQuery) -> s.ApplicationList:
    items, cursor = run(lambda uow: service.applicants(uow, req.user_id, query.task_id, query.status, query.cursor,
                                                       query.limit, sort=query.sort))
    return s.ApplicationList(items=items, next_cursor=cursor)


@router.post("/applications/{application_id:int}/withdraw", summary="撤回投递", response=s.ApplicationOut,
             roles=("developer",), errors=("APPLICATION_STATE_CONFLICT", "APPLICATION_NOT_FOUND"))
def withdraw(req: Request) -> s.ApplicationOut:
    return run(lambda uow: service.withdraw(uow, req.user_id, req.params["application_id"]))


@router.post("/applications/{application_id:int}/shortlist", summary="入围", response=s.ApplicationOut,
             roles=("merchant",),
             errors=("APPLICATION_STATE_CONFLICT", "APPLICATION_NOT_FOUND", "TASK_NOT_OPEN", "TASK_STATE_CONFLICT"))
def shortlist(req: Request) -> s.ApplicationOut:
    return run(lambda uow: service.respond(uow, req.user_id, req.params["application_id"], "shortlist"))


@router.post("/applications/{application_id:int}/accept", summary="录用（其余投递将批量关闭并通知）",
             response=s.ApplicationOut, roles=("merchant",),
             errors=("APPLICATION_STATE_CONFLICT", "TASK_NOT_OPEN", "APPLICATION_NOT_FOUND", "TASK_STATE_CONFLICT"))
def accept(req: Request) -> s.ApplicationOut:
    return run(lambda uow: service.respond(uow, req.user_id, req.params["application_id"], "accept"))


@router.post("/applications/{application_id:int}/reject", summary="拒绝（需说明理由）", body=s.RejectIn,
             response=s.ApplicationOut, roles=("merchant",),
             errors=("APPLICATION_STATE_CONFLICT", "APPLICATION_NOT_FOUND", "TASK_NOT_OPEN", "TASK_STATE_CONFLICT"))
def reject(req: Request, body: s.RejectIn) -> s.ApplicationOut:
    return run(lambda uow: service.respond(uow, req.user_id, req.params["application_id"], "reject", body.reason))
