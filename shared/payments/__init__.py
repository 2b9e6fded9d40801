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

Modules by concept: `rules` (the order state machine — every order state list is derived from it — the timer's
close decision, timings; pure), `models` (the typed `Order` row and every statement on payment_orders), `checkout`
(the order API other areas use), `funding` (a task's escrow order and wx.requestPayment), `settle` (a paid order into
the books, one path for webhook and timer), `poll` (the orders timer), `budget` (the platform budget), `queries` (the
read side), `webhook` (POST /payments/notify), `refunds`, `milestones`, `errors`, `routes`, `subscribers`.
"""
