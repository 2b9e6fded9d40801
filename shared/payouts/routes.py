"""HTTP routes of the `payouts` function: the developer's payouts, balance and withdrawals."""

from __future__ import annotations

from shared.http.router import Request, Router
from shared.payouts import queries, transfers, withdrawals
from shared.payouts import schemas as s
from shared.payouts.resend import resend_payout
from shared.uow import run

router = Router("payouts")
DEVELOPER = ("developer",)


@router.get("/payouts", summary="我的收入与转账记录（含确认收款参数）", query=s.PayoutsQuery, response=s.PayoutList,
            roles=DEVELOPER, errors=("INVALID_CURSOR",))
def mine(req: Request, query: s.PayoutsQuery) -> s.PayoutList:
    items, cursor = run(lambda uow: queries.my_payouts(uow, req.user_id, query.cursor, query.limit))
    return s.PayoutList(items=items, next_cursor=cursor)


@router.get("/payouts/balance", summary="我的余额：应付、可提现、转账中、累计到账", response=s.BalanceOut,
            roles=DEVELOPER)
def balance(req: Request) -> s.BalanceOut:
    return run(lambda uow: queries.my_balance(uow, req.user_id))


@router.post("/payouts/withdraw", summary="提现：把可提现余额转到微信零钱", response=s.PayoutOut, status=201,
             roles=DEVELOPER, errors=("NOTHING_TO_WITHDRAW", "PAYOUT_NOT_FOUND"))
def withdraw(req: Request) -> s.PayoutOut:
    return run(lambda uow: withdrawals.withdraw(uow, req.user_id))


@router.get("/payouts/{payout_id:int}", summary="一笔转账的详情", response=s.PayoutOut, roles=DEVELOPER,
            errors=("PAYOUT_NOT_FOUND",))
def one(req: Request) -> s.PayoutOut:
    return run(lambda uow: queries.get_payout(uow, req.user_id, req.params["payout_id"]))


@router.post("/payouts/{payout_id:int}/refresh", summary="确认收款后刷新转账结果（向微信支付查询）",
             response=s.PayoutOut, roles=DEVELOPER, errors=("PAYOUT_NOT_FOUND", "PAYOUT_QUERY_UNAVAILABLE"))
def refresh(req: Request) -> s.PayoutOut:
    transfers.refresh_payout(req.user_id, req.params["payout_id"])
    return run(lambda uow: queries.get_payout(uow, req.user_id, req.params["payout_id"]))


# The operators' actions on payouts that need a hand, composed into the `admin` function (functions/admin).
admin_router = Router("admin")


@admin_router.post("/admin/payouts/{payout_id:int}/resend",
                   summary="重发转账失败或已撤销的打款：以新的转账单号发起新一次尝试（同一尝试重复提交只发起一次，记入审计日志）",
                   body=s.ResendIn, response=s.AdminResendOut, roles=("admin",),
                   errors=("PAYOUT_NOT_FOUND", "PAYOUT_NOT_RESENDABLE", "PAYOUT_FUNDS_WITHDRAWN"))
def resend(req: Request, body: s.ResendIn) -> s.AdminResendOut:
    return resend_payout(req.params["payout_id"], body.attempt, admin_id=req.user_id, reason=body.reason)
