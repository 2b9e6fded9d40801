"""What the disputes area says to users: role names, the ruling summary, and its notifications (inbox templates;
kinds in shared/notifications/kinds.py). Amounts are yuan strings (shared.ledger.accounts.yuan)."""

from __future__ import annotations

from shared.notifications.kinds import Notice

ROLE_NAMES = {"merchant": "商家", "developer": "开发者", "admin": "平台调解员", "system": "系统"}

# What a party added to the dispute, by the author's role.
ADDED_BY_ADMIN = "调解意见"
ADDED_BY_PARTY = "说明或证据"

RULING_SUMMARY = ("裁决：{outcome}。开发者获得 {share} 元（赏金 {gross} 元，平台服务费 {commission} 元），"
                  "商家退款 {refund} 元。理由：{note}")

OPENED = Notice("dispute_opened", "对方发起了纠纷",
                "「{title}」的{role}发起了纠纷：{reason}。托管赏金已冻结，请在纠纷详情中补充你的说明和证据，平台将尽快裁决。")
EVIDENCE = Notice("dispute_evidence", "纠纷有新的{what}", "{role}在纠纷 #{dispute_id} 中补充了{what}，请查看。")
RULED = Notice("dispute_ruled", "纠纷已裁决", "「{title}」的纠纷已裁决。{summary}")
