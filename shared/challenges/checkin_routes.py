"""HTTP routes of the `checkin` function (the design card's "challenge check-in"): check in once per Beijing day, the
status, the reminder; the operators' streak repair after an outage."""

from __future__ import annotations

from shared.challenges import checkin
from shared.challenges import schemas as s
from shared.http.router import Request, Router
from shared.uow import run

router = Router("checkin")


@router.post("/checkin", summary="今日签到（同一天重复签到不重复计数）", response=s.CheckinOut, roles=("developer",))
def check_in(req: Request) -> s.CheckinOut:
    return run(lambda uow: checkin.check_in(uow, req.user_id))


@router.get("/checkin", summary="签到状态：连续天数、累计天数、补签卡", response=s.CheckinStatus)
def status(req: Request) -> s.CheckinStatus:
    return run(lambda uow: checkin.status(uow, req.user_id))


@router.put("/checkin/reminder", summary="开启或关闭每日签到提醒", body=s.ReminderIn, response=s.CheckinStatus,
            roles=("developer",))
def reminder(req: Request, body: s.ReminderIn) -> s.CheckinStatus:
    return run(lambda uow: checkin.set_reminder(uow, req.user_id, body.remind))


@router.post("/checkin/admin/repair", summary="修复平台故障期间中断的连续签到（管理员）", body=s.RepairIn,
             response=s.RepairOut, roles=("admin",), errors=("VALIDATION_FAILED",))
def repair(req: Request, body: s.RepairIn) -> s.RepairOut:
    return run(lambda uow: checkin.repair_streaks(uow, req.user_id, body))
