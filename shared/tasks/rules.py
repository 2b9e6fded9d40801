"""The task state machine. Pure: no I/O, no clock — callers pass what the rules need.

    pending_review ──approve──▶ awaiting_funding ──fund──▶ open ──assign──▶ in_progress ──deliver──▶ delivered
          │ reject                   │                      │                  ▲                       │
          ▼                          │ cancel / expire      │ cancel/expire    └──request_revision─────┤
       rejected                      ▼                      ▼                                          │ accept /
                                 cancelled / expired                                  completed ◀──────┘ auto_accept
                                            delivered ──dispute──▶ disputed ──▶ completed / failed

`approve` goes straight to `open` when escrow is not required (the rule switched off, or the task was funded before
it went back to review). `fund` happens when the escrow is paid (shared/payments: the WeChat Pay notification, or
the platform budget for platform tasks in the same transaction as the approval).
"""

from __future__ import annotations

from dataclasses import dataclass


class InvalidTransition(Exception):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"cannot {action} a task that is {status}")
        self.status = status
        self.action = action


# action -> {from status: to status}
TRANSITIONS: dict[str, dict[str, str]] = {
    "approve": {"pending_review": "awaiting_funding"},
    "reject": {"pending_review": "rejected"},
    "fund": {"awaiting_funding": "open"},
    "assign": {"open": "in_progress"},
    "deliver": {"in_progress": "delivered"},
    "request_revision": {"delivered": "in_progress"},
    "accept": {"delivered": "completed"},
    "auto_accept": {"delivered": "completed"},
    "dispute": {"delivered": "disputed"},
    "rule_payout": {"disputed": "completed"},
    "rule_refund": {"disputed": "failed"},
    "cancel": {"pending_review": "cancelled", "awaiting_funding": "cancelled", "open": "cancelled"},
    "expire": {"pending_review": "expired", "awaiting_funding": "expired", "open": "expired"},
    "flag_for_review": {"open": "pending_review", "awaiting_funding": "pending_review"},
}

EDITABLE = frozenset({"pending_review", "awaiting_funding", "open"})
PUBLIC = frozenset({"open"})
TERMINAL = frozenset({"completed", "cancelled", "expired", "rejected", "failed"})

STATUS_NAMES = {
    "pending_review": "审核中", "awaiting_funding": "待托管赏金", "open": "招募中", "in_progress": "进行中",
    "delivered": "待验收", "completed": "已完成", "cancelled": "已取消", "expired": "已过期", "rejected": "未通过审核",
    "disputed": "纠纷处理中", "failed": "已失败",
}


def transition(status: str, action: str, *, escrow_required: bool = False) -> str:
    """The status after `action`, or InvalidTransition. Approval skips funding when escrow is not required."""
    target = TRANSITIONS.get(action, {}).get(status)
    if target is None:
        raise InvalidTransition(status, action)
    if target == "awaiting_funding" and not escrow_required:
        return "open"
    return target


@dataclass(frozen=True)
class PublishDecision:
    status: str
    review_reason: str | None


def decide_publication(*, merchant_approved_before: bool, content_suggest: str, content_label: str | None,
                       escrow_required: bool) -> PublishDecision:
    """Where a newly published task goes: the review queue if its text was flagged or the merchant is new,
    otherwise straight on (to funding, or open)."""
    if content_suggest != "pass":
        reason = f"内容安全检测：{content_label or content_suggest}"
        return PublishDecision("pending_review", reason)
    if not merchant_approved_before:
        return PublishDecision("pending_review", "首次发布任务，需人工审核")
    return PublishDecision("awaiting_funding" if escrow_required else "open", None)
