"""Pure rules of mentor challenges: who is a mentor, the enrolment's states, review scores and the bonus."""

from __future__ import annotations

SCORE_MIN, SCORE_MAX = 0, 100
DEFAULT_PASS_SCORE = 60
MAX_BONUS_FEN = 1_000_000  # ¥10,000: a challenge bonus above this is a typo, not a decision

# (status, action) -> next status; anything else is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("enrolled", "submit"): "submitted",
    ("submitted", "submit"): "submitted",  # a better deliverable replaces the last one until the review
    ("submitted", "review"): "reviewed",
}


def next_status(status: str, action: str) -> str | None:
    return TRANSITIONS.get((status, action))


def is_active_mentor(flagged: bool, real_name_status: str, roles: list[str]) -> bool:
    """A mentor reviews and gets challenges only while flagged by an operator, with an approved real-name record,
    and a developer."""
    return flagged and real_name_status == "approved" and "developer" in roles


def check_score(score: int) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not SCORE_MIN <= score <= SCORE_MAX:
        raise ValueError(f"score must be an integer in {SCORE_MIN}..{SCORE_MAX}")
    return score


def accepted(score: int, pass_score: int) -> bool:
    return check_score(score) >= check_score(pass_score)


def bonus_for(score: int, pass_score: int, bonus_fen: int) -> int:
    """The cash bonus a review pays: the challenge's whole bonus when the deliverable passes, else nothing."""
    if bonus_fen < 0:
        raise ValueError("a bonus is never negative")
    return bonus_fen if accepted(score, pass_score) else 0
