"""The profiles area's subscribers: the counters on developer_profiles / merchant_profiles, kept by their owner.

In-transaction, in the transaction of the change they count: each is one UPDATE on a row, and what they count is
read on the very next request — the merchant's response rate on the card they just answered from, tasks_approved
deciding whether the next task needs review, ratings and completed tasks on the resume card.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.events import (
        ApplicationAnswered,
        ApplicationsClosed,
        ApplicationUnanswered,
        RatingGiven,
        Stored,
        TaskApproved,
        TaskCompleted,
    )
    from shared.uow import UnitOfWork


def _merchant_responses(uow: UnitOfWork, merchant_id: int, due: int, on_time: int) -> None:
    uow.execute("UPDATE merchant_profiles SET responses_due = responses_due + :due,"
                " responses_on_time = responses_on_time + :ok, updated_at = :now WHERE user_id = :m",
                {"due": due, "ok": on_time, "now": uow.now, "m": merchant_id})


def count_answer(uow: UnitOfWork, stored: Stored[ApplicationAnswered]) -> None:
    """The first answer to an application counts toward the merchant's 48-hour response rate."""
    e = stored.event
    if e.first:
        _merchant_responses(uow, e.merchant_id, 1, 1 if e.on_time else 0)


def count_batch_answers(uow: UnitOfWork, stored: Stored[ApplicationsClosed]) -> None:
    """Being told the position is filled is an answer too."""
    e = stored.event
    if e.answered:
        _merchant_responses(uow, e.merchant_id, e.answered, e.answered_on_time)


def count_no_response(uow: UnitOfWork, stored: Stored[ApplicationUnanswered]) -> None:
    _merchant_responses(uow, stored.event.merchant_id, 1, 0)


def count_approval(uow: UnitOfWork, stored: Stored[TaskApproved]) -> None:
    """A merchant with an approved task publishes without the first-task review from now on."""
    uow.execute("UPDATE merchant_profiles SET tasks_approved = tasks_approved + 1, updated_at = :now"
                " WHERE user_id = :m", {"now": uow.now, "m": stored.event.merchant_id})


def count_completion(uow: UnitOfWork, stored: Stored[TaskCompleted]) -> None:
    uow.execute("UPDATE developer_profiles SET completed_tasks = completed_tasks + 1, updated_at = :now"
                " WHERE user_id = :d", {"now": uow.now, "d": stored.event.developer_id})


def count_rating(uow: UnitOfWork, stored: Stored[RatingGiven]) -> None:
    e = stored.event
    table = "developer_profiles" if e.direction == "merchant_to_developer" else "merchant_profiles"
    uow.execute(f"UPDATE {table} SET rating_count = rating_count + 1, rating_sum = rating_sum + :s,"
                " updated_at = :now WHERE user_id = :u", {"s": e.stars, "now": uow.now, "u": e.ratee_id})
