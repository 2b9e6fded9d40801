"""What growth does when other areas' events happen — all after commit (growth may lag a moment; a failure retries
on its own). Each is idempotent on its business key, so a second delivery or a replay grants nothing more; a replay
(`stored.replay`) marks what it grants as a backfill and notifies no one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.growth import points, service
from shared.rules_config import load_rules

if TYPE_CHECKING:
    from shared.events import (
        ChallengeCompleted,
        MentorReviewGiven,
        RatingGiven,
        Stored,
        TaskCompleted,
    )
    from shared.uow import UnitOfWork


def on_task_completed(uow: UnitOfWork, stored: Stored[TaskCompleted]) -> None:
    e = stored.event
    service.record_completion(uow, task_id=e.task_id, developer_id=e.developer_id, merchant_id=e.merchant_id,
                              tags=tuple(e.skill_tags), difficulty=e.difficulty, at=stored.occurred_at,
                              backfill=stored.replay)


def on_rating_given(uow: UnitOfWork, stored: Stored[RatingGiven]) -> None:
    """Only the merchant's rating of the developer feeds growth (promotion happens here, on the rating)."""
    e = stored.event
    if e.direction != "merchant_to_developer":
        return
    service.record_rating(uow, task_id=e.task_id, developer_id=e.ratee_id, merchant_id=e.rater_id, stars=e.stars,
                          at=stored.occurred_at, backfill=stored.replay)


def on_challenge_completed(uow: UnitOfWork, stored: Stored[ChallengeCompleted]) -> None:
    """A challenge's points (challenge class: capped per day, on the day it was completed) and XP."""
    e = stored.event
    ref = f"challenge:{e.challenge_key}:{e.window}"
    reason = f"完成挑战「{e.challenge_name}」"
    if e.points:
        points.grant_points(uow, e.user_id, e.points, source_class="challenge", kind="challenge", ref=ref,
                            reason=reason, at=stored.occurred_at)
    xp = e.xp * load_rules(uow).growth_xp_table["challenge_bp"] // 10_000
    service.grant_xp(uow, e.user_id, xp, source="challenge", ref=ref, reason=reason, at=stored.occurred_at,
                     backfill=stored.replay or e.backfill)


def on_mentor_review(uow: UnitOfWork, stored: Stored[MentorReviewGiven]) -> None:
    e = stored.event
    if not e.accepted:
        return
    table = load_rules(uow).growth_xp_table
    xp = table["mentor_review"] + (table["mentor_letter"] if e.letter else 0)
    service.grant_xp(uow, e.developer_id, xp, source="mentor_review", ref=f"mentor:{e.enrolment_id}",
                     reason=f"导师评审通过（{e.score} 分）" + ("，获推荐信" if e.letter else ""),
                     at=stored.occurred_at, backfill=stored.replay)
