"""Read-only questions other areas may ask the challenges area (the growth reports, the resume card)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class WindowResult:
    challenge_key: str
    window_key: str
    name: str
    status: str  # completed | in_progress | failed
    points: int
    reward: str | None
    ends_at: datetime
    completed_at: datetime | None


def _reward_text(rewards: dict[str, Any]) -> str | None:
    parts = []
    if rewards.get("cash_fen"):
        parts.append(f"¥{int(rewards['cash_fen']) // 100} 奖金")
    if rewards.get("title_key"):
        parts.append("称号")
    if rewards.get("badge_key"):
        parts.append("徽章")
    if rewards.get("points") and not parts:
        parts.append(f"{int(rewards['points'])} 积分")
    return "、".join(parts)[:30] or None


def results_between(uow: Any, user_id: int, start: datetime, end: datetime, now: datetime) -> list[WindowResult]:
    """The user's challenge windows that overlap [start, end): completed in it, still running, or ended unfinished."""
    rows = uow.execute(
        "SELECT challenge_key, window_key, name, definition, starts_at, ends_at, completed_at FROM challenge_windows"
        " WHERE user_id = :u AND starts_at < :end AND ends_at > :start"
        " AND (completed_at IS NULL OR (completed_at >= :start AND completed_at < :end))"
        " ORDER BY ends_at, challenge_key", {"u": user_id, "start": start, "end": end}).all()
    out = []
    for r in rows:
        rewards = (r.definition or {}).get("rewards", {}) if isinstance(r.definition, dict) else {}
        status = "completed" if r.completed_at else ("in_progress" if r.ends_at > now else "failed")
        out.append(WindowResult(r.challenge_key, r.window_key, r.name, status,
                                int(rewards.get("points") or 0) if status == "completed" else 0,
                                _reward_text(rewards) if status == "completed" else None, r.ends_at, r.completed_at))
    return out
