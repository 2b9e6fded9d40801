"""HTTP routes of the `lottery` function: the public records of the monthly draws (anyone can verify a draw from
them: `python -m shared.lottery verify draw.json`), and the user's tickets this month."""

from __future__ import annotations

from typing import Any

from shared.http.router import Request, Router
from shared.lottery import schemas as s
from shared.lottery import service
from shared.uow import run

router = Router("lottery")


@router.get("/lottery/draws", summary="月度抽奖期次列表（公开）", response=s.DrawList, auth=False)
def draws(req: Request) -> s.DrawList:
    return s.DrawList(items=[s.DrawSummary(**d) for d in run(service.list_draws)])


@router.get("/lottery/draws/{draw_id:int}", summary="一期抽奖的公开记录（可独立验证）", response=s.DrawRecordOut,
            auth=False, errors=("LOTTERY_DRAW_NOT_FOUND",))
def draw_record(req: Request) -> dict[str, Any]:
    # The record exactly as published (absent fields stay absent: the verifier refuses nulls it does not expect).
    return run(lambda uow: service.public_record(uow, req.params["draw_id"]))


@router.get("/lottery/mine", summary="我本期的抽奖券数", response=s.MyTickets)
def mine(req: Request) -> s.MyTickets:
    return s.MyTickets(**run(lambda uow: service.my_tickets(uow, req.user_id)))
