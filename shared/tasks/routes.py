"""HTTP routes of the `tasks` function: publish, edit, cancel, the hall, task detail."""

from __future__ import annotations

from shared import clock
from shared.db import get_engine
from shared.http.router import Request, Router
from shared.tasks import hall, service
from shared.tasks import schemas as s
from shared.uow import run

router = Router("tasks")


@router.get("/tasks", summary="任务大厅：筛选、排序、游标分页", query=s.HallQuery, response=s.HallPage, auth=False,
            errors=("INVALID_CURSOR",))
def browse(req: Request, query: s.HallQuery) -> s.HallPage:
    viewer = _signed_in(req)
    profile = None
    if query.sort == "match":  # the viewer's skill points and level, read through growth's queries
        from shared.growth.queries import match_profile

        profile = run(lambda uow: match_profile(uow, viewer))
    # Read-only and hot: a plain autocommit connection, no ORM session, no BEGIN/ROLLBACK round trips.
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        page = hall.browse(conn, query, clock.now(), profile)
    if viewer is not None:  # a signed-in visit counts for growth (once a day, see service.browsed)
        service.browsed(viewer, req.query)
    return page


def _signed_in(req: Request) -> int | None:
    """The hall is public: a missing, malformed or expired token is simply an anonymous visit, never a 401."""
    scheme, _, token = req.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    from shared.auth.tokens import TokenError, verify_access_token

    try:
        return verify_access_token(token.strip())
    except TokenError:
        return None


@router.post("/tasks", summary="发布任务", body=s.TaskCreate, response=s.TaskOut, status=201, roles=("merchant",),
             errors=("MERCHANT_PROFILE_REQUIRED", "ADMIN_REQUIRED", "PLATFORM_BUDGET_INSUFFICIENT",
                     "TASK_STATE_CONFLICT", "CONTENT_CHECK_UNAVAILABLE", "TASK_NOT_FOUND"))
def publish(req: Request, body: s.TaskCreate) -> s.TaskOut:
    return service.publish_task(req.user_id, body)


@router.get("/tasks/mine", summary="我发布的任务", query=s.MyTasksQuery, response=s.TaskList, roles=("merchant",),
            errors=("INVALID_CURSOR",))
def mine(req: Request, query: s.MyTasksQuery) -> s.TaskList:
    items, cursor = run(lambda uow: service.my_tasks(uow, req.user_id, query.status, query.cursor, query.limit))
    return s.TaskList(items=items, next_cursor=cursor)


@router.get("/tasks/{task_id:int}", summary="任务详情", response=s.TaskOut, auth="optional", errors=("TASK_NOT_FOUND",))
def detail(req: Request) -> s.TaskOut:
    viewer = req.principal.user_id if req.principal else None
    return run(lambda uow: service.get_task(uow, req.params["task_id"], viewer))


@router.patch("/tasks/{task_id:int}", summary="修改任务（招募中或审核中）", body=s.TaskUpdate, response=s.TaskOut,
              roles=("merchant",),
              errors=("TASK_NOT_EDITABLE", "NOT_TASK_OWNER", "TASK_NOT_FOUND", "REWARD_LOCKED", "TASK_STATE_CONFLICT",
                      "CONTENT_CHECK_UNAVAILABLE", "TASK_CHANGED"))
def edit(req: Request, body: s.TaskUpdate) -> s.TaskOut:
    return service.edit_task(req.user_id, req.params["task_id"], body)


@router.post("/tasks/{task_id:int}/cancel", summary="取消任务", body=s.CancelTask, response=s.TaskOut,
             roles=("merchant",),
             errors=("TASK_STATE_CONFLICT", "NOT_TASK_OWNER", "MILESTONE_NOT_FOUND", "TASK_NOT_FOUND",
                     "REFUND_EXCEEDS_ESCROW", "REFUND_SOURCE_UNKNOWN"))
def cancel(req: Request, body: s.CancelTask) -> s.TaskOut:
    return run(lambda uow: service.cancel_task(uow, req.user_id, req.params["task_id"], body.reason))
