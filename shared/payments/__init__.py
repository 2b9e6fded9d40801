"""Pay in and refunds (issue 3): WeChat Pay v3 JSAPI orders that fund a task's escrow (or one milestone's), the
notification webhook, the timer that settles or closes orders whose notification never came, the platform budget
that funds platform tasks, and refunds through the v3 refund API.

Every movement of money is one ledger transaction (shared/ledger), idempotent on (kind, ref):

    fund_escrow     order:<out_trade_no>     wechatpay:clearing +total, escrow:* -reward, platform:revenue -promotion
    fund_escrow     budget:task:<id>         platform:budget +reward, escrow:* -reward        (platform tasks)
    budget_topup    topup:<reference>        wechatpay:clearing +amount, platform:budget -amount
    refund_start    refund:<out_refund_no>   escrow:* +amount, refunds:in_flight -amount
    refund_done     refund:<out_refund_no>   refunds:in_flight +amount, wechatpay:clearing -amount
    budget_return   <request key>            escrow:* +amount, platform:budget -amount       (platform tasks)

Modules: `service` (funding, orders, settling, the timer), `webhook` (POST /payments/notify), `refunds`,
`milestones`, `routes` (the `payments` function's HTTP API).
"""
