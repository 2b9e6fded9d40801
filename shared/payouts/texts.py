"""What the payouts area says to users: its notifications (inbox templates; kinds in shared/notifications/kinds.py).
Amounts are passed already formatted as yuan (`shared.ledger.accounts.yuan`)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

NEEDS_WECHAT = Notice("payout_needs_wechat", "收款需要微信账号",
                      "有一笔 {yuan} 元的款项待转出，请使用微信登录小程序后收款。")
NEEDS_REAL_NAME = Notice("payout_needs_real_name", "请补充收款实名",
                         "有一笔 {yuan} 元的款项待转出。单笔达到 2000 元时微信要求收款人实名，"
                         "请在「收款实名」中填写与微信实名一致的姓名，填写后自动继续转账。")
CONFIRM = Notice("payout_confirm", "请确认收款",
                 "{yuan} 元报酬已发起转账，请在 {hours} 小时内打开小程序「我的收入」确认收款，"
                 "逾期将自动撤销并退回可提现余额。")
PAID = Notice("payout_paid", "报酬已到账", "{yuan} 元已转入你的微信零钱。")
CANCELLED = Notice("payout_cancelled", "转账已撤销",
                   "{yuan} 元的转账未在规定时间内确认，已撤销，资金已退回你的可提现余额，可随时申请提现。")
FAILED = Notice("payout_failed", "转账失败", "{yuan} 元转账失败（{reason}），资金已退回你的可提现余额，{then}。")
UNKNOWN_REASON = "未知原因"
THEN_RETRY = "系统将稍后自动重试"
THEN_WITHDRAW = "请检查微信账号状态后在「我的收入」中申请提现"
