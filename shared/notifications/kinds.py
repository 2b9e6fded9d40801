"""The registry of notification kinds: what each kind is, and whether and how it reaches WeChat.

    kind -> Kind(bucket)      the consent bucket = the subscribe-message template that carries it (None: inbox only)
    Notice(kind, title, body) the inbox template, kept in its area's `texts.py` (one module of user-facing words per
                              area) and refused at import time unless its kind is registered here

`uow.notify` refuses a kind that is not in `KINDS` (UnknownNotificationKind: a programming error, never shown to a
user), and tests/unit/test_notification_templates.py scans the code for every kind passed to `notify(` or written
in a `Notice(`, so a new kind cannot ship unregistered. Adding one: a line here, its Notice in the area's texts.py.

A subscribe message spends one of the user's one-time consents *for its template* (`subscribe_consents` counts them
per template id), so the bucket is both the template and the consent budget. Which kinds are pushed: what the user
must act on (applications, tasks and deliveries to answer, transfers to confirm within 24 h, disputes); refunds,
escrow bookkeeping, memberships and promotions stay in the inbox.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from enum import Enum
from typing import Any

from shared.config import get_settings


class Bucket(str, Enum):
    """A WeChat subscribe-message template and the consent budget it spends (value: its Settings field)."""

    APPLICATION = "wechat_template_application"
    TASK = "wechat_template_task"
    MONEY = "wechat_template_money"

    def template_id(self) -> str:
        return str(getattr(get_settings(), self.value))


# Every subscribe-message template is laid out the same way (see delivery.message_data: thing1 title, thing2 body,
# time3 created at) and opens the task the notification is about.
SUBSCRIBE_PAGE = "pages/task/detail?id={task_id}"


@dataclass(frozen=True)
class Kind:
    name: str
    bucket: Bucket | None
    about: str  # when it is sent (for readers of this table)


class UnknownNotificationKind(LookupError):
    """A notification kind that is not in KINDS: a bug in the caller, not bad user input."""


_APP, _TASK, _MONEY = Bucket.APPLICATION, Bucket.TASK, Bucket.MONEY

KINDS: dict[str, Kind] = {k.name: k for k in (
    # --- applications (shared/applications/texts.py)
    Kind("application_received", _APP, "a developer applied to the merchant's task"),
    Kind("application_shortlisted", _APP, "the merchant shortlisted the application"),
    Kind("application_accepted", _APP, "the developer was hired"),
    Kind("application_rejected", _APP, "the merchant turned the application down"),
    Kind("application_position_filled", _APP, "another developer was hired"),
    Kind("application_task_cancelled", _APP, "the task was cancelled while the application was open"),
    Kind("application_task_expired", _APP, "the task expired while the application was open"),
    Kind("application_task_rejected", _APP, "the task failed review while the application was open"),
    Kind("application_no_response", _APP, "the merchant did not answer within 48 h"),
    Kind("feedback_reminder", _TASK, "an application waits for the merchant's answer (24 h / 40 h)"),
    # --- tasks (shared/tasks/texts.py)
    Kind("task_approved", _TASK, "the task passed review"),
    Kind("task_rejected", _TASK, "the task failed review"),
    Kind("task_expired", _TASK, "the task reached its deadline with nobody hired"),
    Kind("escrow_funded", None, "the bounty is held in escrow"),
    # --- work (shared/work/texts.py)
    Kind("work_delivered", _TASK, "the developer delivered; the merchant has 7 days to accept"),
    Kind("revision_requested", _TASK, "the merchant asked for a revision"),
    Kind("work_accepted", _TASK, "the delivery was accepted (by the merchant or automatically)"),
    Kind("work_auto_accepted", _TASK, "the merchant let the delivery be accepted automatically"),
    Kind("rated", _TASK, "the other party rated the user"),
    # --- disputes (shared/disputes/texts.py)
    Kind("dispute_opened", _MONEY, "the other party opened a dispute; the escrow is frozen"),
    Kind("dispute_evidence", _MONEY, "a party added a statement or evidence"),
    Kind("dispute_ruled", _MONEY, "the platform ruled the dispute"),
    # --- billing (shared/billing/texts.py)
    Kind("membership_activated", None, "a membership started or was renewed"),
    Kind("membership_expiring", None, "a membership ends soon"),
    Kind("membership_expired", None, "a membership ended"),
    Kind("promotion_started", None, "a pinned promotion started"),
    Kind("promotion_ended", None, "a pinned promotion ended"),
    # --- payments (shared/payments/texts.py)
    Kind("payment_refunded", None, "a payment that is not needed goes back to the payer"),
    Kind("escrow_refund_started", None, "the escrow of a closed task is being refunded"),
    Kind("refund_succeeded", None, "a refund reached the payer"),
    Kind("refund_failed", None, "a refund failed; customer service takes over"),
    # --- challenges (shared/challenges/texts.py)
    Kind("challenge_completed", None, "a challenge window was completed, with its rewards"),
    Kind("challenge_cash_paid", None, "a challenge's cash bonus reached the developer's withdrawable balance"),
    Kind("checkin_reminder", _TASK, "the daily check-in reminder the user opted into (keeps a streak alive)"),
    Kind("lottery_won", None, "the user won a prize in the monthly lottery"),
    # --- payouts (shared/payouts/texts.py)
    Kind("payout_needs_wechat", _MONEY, "a payout waits for the developer to log in with WeChat"),
    Kind("payout_needs_real_name", _MONEY, "a payout of 2000 yuan or more waits for the payee's real name"),
    Kind("payout_confirm", _MONEY, "a transfer waits for the developer's confirmation (24 h)"),
    Kind("payout_paid", _MONEY, "the transfer reached the developer's WeChat change"),
    Kind("payout_cancelled", _MONEY, "an unconfirmed transfer was cancelled and the money returned"),
    Kind("payout_failed", _MONEY, "a transfer failed and the money returned"),
    # --- growth (shared/growth/texts.py) and badges (shared/badges/texts.py): inbox only
    Kind("level_changed", None, "the developer's level went up or down, with its reasons"),
    Kind("badge", None, "new badges (one notice per user for a burst; never for backfilled grants), or a revocable"
         " badge taken back with the reason"),
    # --- community (shared/community/texts.py)
    Kind("post_commented", None, "someone commented on the user's post"),
    Kind("post_hidden", None, "an operator hid the user's post"),
    Kind("post_restored", None, "an operator showed the user's hidden post again"),
    # --- chat (shared/chat/texts.py): pushed for the first unread message, at most once per 10 min per conversation
    Kind("chat_message", _TASK, "a new message in a task conversation the user had read up to date"),
    # --- invitations (shared/invitations/texts.py)
    Kind("invitation_credited", None, "an invitee bound a phone and completed the profile"),
    # --- mentors (shared/mentors/texts.py)
    Kind("mentor_approved", None, "an operator decided on the user's mentor real-name record"),
    Kind("mentor_deliverable", None, "a student submitted a deliverable to the mentor's challenge"),
    Kind("mentor_reviewed", None, "the mentor reviewed the developer's deliverable (and the bonus, if any)"),
    # --- reports (shared/reports/texts.py)
    Kind("report_ready", None, "last month's growth report was issued (the 1st of the month)"),
)}


def kind(name: str) -> Kind:
    found = KINDS.get(name)
    if found is None:
        raise UnknownNotificationKind(f"notification kind {name!r} is not registered in shared/notifications/kinds.py")
    return found


def template_for(name: str) -> str:
    """The subscribe-message template id for a kind; "" when it stays in the inbox (or is no longer registered:
    rows written before a kind was retired are not pushed)."""
    found = KINDS.get(name)
    return found.bucket.template_id() if found is not None and found.bucket is not None else ""


@dataclass(frozen=True)
class Notice:
    """An inbox template: `title` and `body` are str.format templates over the keyword arguments of `render`."""

    kind: str
    title: str
    body: str

    def __post_init__(self) -> None:
        kind(self.kind)

    def fields(self) -> set[str]:
        return {f for text in (self.title, self.body) for _, f, _, _ in string.Formatter().parse(text) if f}

    def render(self, **values: Any) -> tuple[str, str, str]:
        """(kind, title, body), ready for `uow.notify(user_id, *notice.render(...), data=…)`."""
        return self.kind, self.title.format(**values), self.body.format(**values)


@dataclass(frozen=True)
class InboxItem:
    """One notification of a batch (`uow.notify_many`): the arguments of `uow.notify`, e.g. from `Notice.render`."""
    user_id: int
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    dedupe_key: str | None  # None: never deduplicated
