"""What a monthly growth report says: `ReportData`, and its canonical serialisation — the bytes that get signed.

The integrator fills a `ReportData` from the database (tasks, ledger, ratings, growth tables) for one developer and
one Asia/Shanghai month, calls `shared.reports.suggestions.finalize` to add the growth suggestions, and hands it
to the renderer and the signer. Nothing here does I/O.

Rules the model keeps so that "the same data" is well defined and the signature is stable:
- no floats anywhere: money in fen, ratings as whole stars, averages as hundredths (`average_x100` = 4.67 → 467);
- every list is ordered by a documented key (`suggestions.finalize` sorts; `canonical_bytes` does not reorder anything);
- text is stored as given (the renderer shortens and sanitizes what it shows, never what is signed);
- dates are ISO dates, the month is "YYYY-MM"; no timestamps of generation (the report would change every run).

Field limits (the "documented limits" the renderer's size guarantee is tested against) are on each field below; a
value outside them is refused with a pydantic ValidationError (a bug in the integrator, not a user error).
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION: Literal[1] = 1
LEVELS = ("C", "B", "A", "S")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

Text = Annotated[str, Field(max_length=200)]
Id = Annotated[int, Field(ge=0, le=2**63 - 1)]
Fen = Annotated[int, Field(ge=0, le=10**12)]
Points = Annotated[int, Field(ge=0, le=10**9)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


def _month(value: str) -> str:
    if not MONTH_RE.match(value):
        raise ValueError("month must be YYYY-MM")
    return value


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


class Developer(_Frozen):
    id: Id
    display_name: Annotated[str, Field(min_length=1, max_length=40)]


class CompletedTask(_Frozen):
    """A task accepted (or auto-accepted) in the month."""

    task_id: Id
    title: Annotated[str, Field(min_length=1, max_length=100)]
    merchant: Annotated[str, Field(min_length=1, max_length=40)]  # the merchant's display name
    completed_on: date
    reward_fen: Fen  # the task's reward
    earned_fen: Fen  # what the developer received for it (reward less commission)
    rating: Annotated[int, Field(ge=1, le=5)] | None = None  # the merchant's stars, if rated
    comment: Annotated[str, Field(max_length=500)] | None = None  # the merchant's comment, if any
    categories: tuple[Annotated[str, Field(max_length=24)], ...] = Field(default=(), max_length=8)


class Earnings(_Frozen):
    reward_fen: Fen  # sum of the rewards of the completed tasks
    commission_fen: Fen
    net_fen: Fen  # credited to the developer (reward − commission + bonuses)
    bonus_fen: Fen = 0  # challenge cash bonuses


class RatingSummary(_Frozen):
    count: Annotated[int, Field(ge=0, le=10_000)]
    average_x100: Annotated[int, Field(ge=100, le=500)] | None = None  # None when count == 0
    # stars[0] is the number of 1-star ratings … stars[4] of 5-star ones
    stars: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)

    @model_validator(mode="after")
    def _consistent(self) -> RatingSummary:
        if sum(self.stars) != self.count or any(s < 0 for s in self.stars):
            raise ValueError("stars must be non-negative and add up to count")
        if (self.count == 0) != (self.average_x100 is None):
            raise ValueError("average_x100 is given exactly when count > 0")
        return self


class MonthPoints(_Frozen):
    month: str
    points: Points

    @field_validator("month")
    @classmethod
    def _month_format(cls, value: str) -> str:
        return _month(value)


class SkillCategory(_Frozen):
    """A skill category (backend, frontend …) of the skill graph."""

    key: Annotated[str, Field(min_length=1, max_length=24)]
    name: Annotated[str, Field(min_length=1, max_length=12)]  # shown: 后端, 前端 …
    points_total: Points  # all-time, at the end of the month
    points_month: Points  # gained in the month
    # points gained per month, oldest first, ending with the report's month (the bars of the growth chart)
    history: tuple[MonthPoints, ...] = Field(min_length=1, max_length=12)


class Requirement(_Frozen):
    """One condition of the next level: where the developer is and where the level starts."""

    key: Annotated[str, Field(min_length=1, max_length=32)]  # completed_tasks, average_rating_x100, merchants …
    label: Annotated[str, Field(min_length=1, max_length=16)]  # 完成任务, 平均评分 …
    current: Annotated[int, Field(ge=0, le=10**9)]
    required: Annotated[int, Field(ge=0, le=10**9)]
    scale: Literal[1, 100] = 1  # 100: the numbers are hundredths (ratings)

    @property
    def missing(self) -> int:
        return max(0, self.required - self.current)

    @property
    def met(self) -> bool:
        return self.current >= self.required


class LevelProgress(_Frozen):
    current: Literal["C", "B", "A", "S"]
    previous: Literal["C", "B", "A", "S"] | None = None  # the level at the start of the month
    next: Literal["B", "A", "S"] | None = None  # None at S
    requirements: tuple[Requirement, ...] = Field(default=(), max_length=8)  # of `next`
    xp: Points = 0


class Badge(_Frozen):
    key: Annotated[str, Field(min_length=1, max_length=32)]
    name: Annotated[str, Field(min_length=1, max_length=12)]
    earned_on: date
    new_this_month: bool = False


class ChallengeResult(_Frozen):
    key: Annotated[str, Field(min_length=1, max_length=32)]
    name: Annotated[str, Field(min_length=1, max_length=24)]
    status: Literal["completed", "in_progress", "failed"]
    points: Points = 0
    reward: Annotated[str, Field(max_length=30)] | None = None  # e.g. 称号「求职者」, ¥200 奖金
    finished_on: date | None = None


class MentorLetter(_Frozen):
    mentor_name: Annotated[str, Field(min_length=1, max_length=30)]
    challenge: Annotated[str, Field(max_length=40)] | None = None
    written_on: date
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class PreviousMonth(_Frozen):
    """Last month's headline numbers, for the comparisons the suggestions make."""

    tasks_completed: Annotated[int, Field(ge=0, le=10_000)] = 0
    net_fen: Fen = 0
    average_x100: Annotated[int, Field(ge=100, le=500)] | None = None


class Suggestion(_Frozen):
    """A growth suggestion and why: the rule that fired and the numbers it compared (shared/reports/suggestions.py)."""

    rule: Annotated[str, Field(min_length=1, max_length=32)]
    text: Annotated[str, Field(min_length=1, max_length=120)]
    # (name, integer value); ratings in hundredths
    facts: tuple[tuple[str, int], ...] = Field(default=(), max_length=8)


class ReportData(_Frozen):
    schema_version: Literal[1] = SCHEMA_VERSION
    developer: Developer
    month: str  # Asia/Shanghai calendar month, "YYYY-MM"
    # The last Shanghai day the data covers: the month's last day for the monthly report, or the day a developer asked
    # for "this month so far".
    as_of: date
    tasks: tuple[CompletedTask, ...] = Field(default=(), max_length=500)
    earnings: Earnings
    ratings: RatingSummary
    skills: tuple[SkillCategory, ...] = Field(default=(), max_length=12)
    level: LevelProgress
    title: Annotated[str, Field(max_length=12)] | None = None  # the title the developer chose to show
    badges: tuple[Badge, ...] = Field(default=(), max_length=50)
    challenges: tuple[ChallengeResult, ...] = Field(default=(), max_length=30)
    mentor_letters: tuple[MentorLetter, ...] = Field(default=(), max_length=10)
    previous: PreviousMonth | None = None
    suggestions: tuple[Suggestion, ...] = Field(default=(), max_length=8)

    @field_validator("month")
    @classmethod
    def _month_format(cls, value: str) -> str:
        return _month(value)

    @model_validator(mode="after")
    def _in_month(self) -> ReportData:
        if self.as_of.strftime("%Y-%m") != self.month:
            raise ValueError("as_of must be a day of the report's month")
        for task in self.tasks:
            if task.completed_on.strftime("%Y-%m") != self.month:
                raise ValueError(f"task {task.task_id} was not completed in {self.month}")
        for skill in self.skills:
            if skill.history[-1].month != self.month:
                raise ValueError(f"skill {skill.key}: history must end with the report's month")
        return self

    @property
    def key(self) -> str:
        """What identifies the report: one per developer and month ("so far" reports replace each other)."""
        return f"{self.developer.id}:{self.month}"


def to_jsonable(data: ReportData) -> dict:
    return data.model_dump(mode="json")


def canonical_bytes(data: ReportData) -> bytes:
    """The signed form: UTF-8 JSON, keys sorted, no whitespace, every field present (defaults included)."""
    return json.dumps(to_jsonable(data), ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def from_canonical(raw: bytes) -> ReportData:
    """The report back from its canonical bytes (what the verify page shows); `canonical_bytes` of it is `raw`."""
    return ReportData.model_validate_json(raw)
