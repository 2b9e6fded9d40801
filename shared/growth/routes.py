"""HTTP routes of the `growth` function: my growth (skill graph, XP, level and what is missing, points with their
history), and the operators' points and fair-play routes."""

from __future__ import annotations

from shared.growth import queries, service
from shared.growth import schemas as s
from shared.http.router import Request, Router
from shared.uow import UnitOfWork, run

router = Router("growth")


@router.get("/growth/me", summary="我的成长：技能图谱、经验值、等级与升级差距、成长积分", response=s.GrowthMeOut,
            roles=("developer",))
def me(req: Request) -> s.GrowthMeOut:
    return run(lambda uow: queries.me(uow, req.user_id))


@router.get("/growth/me/points", summary="我的积分明细（每条含原因与来源）", query=s.PointsHistoryQuery,
            response=s.PointsHistoryOut, errors=("INVALID_CURSOR",))
def my_points(req: Request, query: s.PointsHistoryQuery) -> s.PointsHistoryOut:
    return run(lambda uow: queries.points_history(uow, req.user_id, query.cursor, query.limit))


@router.post("/growth/admin/points", summary="运营发放或扣除积分（须填原因，记入审计）", body=s.PointsAdjustIn,
             response=s.PointsGrantOut, status=201, roles=("admin",), errors=("USER_NOT_FOUND",))
def adjust(req: Request, body: s.PointsAdjustIn) -> s.PointsGrantOut:
    def act(uow: UnitOfWork) -> s.PointsGrantOut:
        grant = service.adjust_points(uow, req.user_id, body.user_id, body.delta, body.reason, body.request_id)
        if grant is None:  # the same request_id again: the entry it made
            row = uow.execute("SELECT id, delta FROM points_entries WHERE user_id = :u AND reason = 'admin'"
                              " AND ref = :ref", {"u": body.user_id, "ref": f"admin:{body.request_id}"}).one()
            return s.PointsGrantOut(entry_id=row.id, delta=row.delta)
        return s.PointsGrantOut(entry_id=grant.entry_id, delta=grant.delta)

    return run(act)


@router.post("/growth/admin/points/{entry_id:int}/reverse", summary="冲正一条积分记录（补偿记录，不改原记录）",
             body=s.ReverseIn, response=s.PointsGrantOut, status=201, roles=("admin",),
             errors=("POINTS_ENTRY_NOT_FOUND", "ALREADY_REVERSED", "NOTHING_TO_REVERSE"))
def reverse(req: Request, body: s.ReverseIn) -> s.PointsGrantOut:
    grant = run(lambda uow: service.reverse_points(uow, req.user_id, req.params["entry_id"], body.reason))
    return s.PointsGrantOut(entry_id=grant.entry_id, delta=grant.delta)


@router.post("/growth/admin/tasks/{task_id:int}/reverse", summary="冲正一个任务带来的技能分与经验值",
             body=s.ReverseIn, response=s.TaskReversalOut, roles=("admin",))
def reverse_task(req: Request, body: s.ReverseIn) -> s.TaskReversalOut:
    done = run(lambda uow: service.reverse_task(uow, req.params["task_id"], reason=body.reason, admin_id=req.user_id))
    return s.TaskReversalOut(**done)


@router.get("/growth/admin/fair-play", summary="疑似同一人的商家与开发者（不计成长）", response=s.FairPlayFlagsOut,
            roles=("admin",))
def fair_play(req: Request) -> s.FairPlayFlagsOut:
    return run(queries.fair_play_flags)
