"""Hypothesis strategies for ReportData anywhere within the model's documented field limits, with text drawn from
everything a user can type: everyday and rare hanzi, Latin with accents, emoji, combining marks, private use, line
breaks. Strings reach their field's maximum length; the task list stops at 60 of the 500 allowed (the renderer shows
20 rows either way), and tests/unit/test_report_render.py adds a deterministic case with every field at its maximum."""

from __future__ import annotations

import calendar
from datetime import date
from functools import cache

from hypothesis import strategies as st

from shared.reports.model import (
    Badge,
    ChallengeResult,
    CompletedTask,
    Developer,
    Earnings,
    LevelProgress,
    MentorLetter,
    MonthPoints,
    PreviousMonth,
    RatingSummary,
    ReportData,
    Requirement,
    SkillCategory,
)
from shared.reports.suggestions import finalize


def _gb2312_hanzi() -> list[str]:
    out = []
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return out


HANZI = _gb2312_hanzi()
CHARS = st.one_of(
    st.sampled_from(HANZI),
    st.sampled_from(HANZI),
    st.characters(min_codepoint=0x3400, max_codepoint=0x4DB5),  # CJK Extension A (rare hanzi)
    st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),  # Extension B
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0xC0, max_codepoint=0x24F),  # accented Latin
    st.characters(min_codepoint=0x1EA0, max_codepoint=0x1EF9),  # Vietnamese
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1F6FF),  # emoji
    st.characters(min_codepoint=0x0300, max_codepoint=0x036F),  # combining marks
    st.characters(min_codepoint=0xE000, max_codepoint=0xE0FF),  # private use
    st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),  # hangul
    st.sampled_from(" \n\r\t，。！？“”《》—…·★"),
)


@cache
def text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    # lists of characters joined, not st.text(alphabet=…): that builds interval sets of the whole alphabet, slowly
    return st.lists(CHARS, min_size=min_size, max_size=max_size).map("".join).filter(
        lambda s: len(s.strip()) >= min_size)


def _month_key(y: int, m: int, back: int) -> str:
    total = y * 12 + (m - 1) - back
    return f"{total // 12}-{total % 12 + 1:02d}"


@st.composite
def report_data(draw: st.DrawFn) -> ReportData:
    y = draw(st.integers(2025, 2030))
    m = draw(st.integers(1, 12))
    month = f"{y}-{m:02d}"
    days = calendar.monthrange(y, m)[1]
    day = st.integers(1, days).map(lambda d: date(y, m, d))
    fen = st.integers(0, 10**9)
    tasks = draw(st.lists(st.builds(
        CompletedTask, task_id=st.integers(0, 2**40), title=text(1, 100), merchant=text(1, 40), completed_on=day,
        reward_fen=fen, earned_fen=fen, rating=st.none() | st.integers(1, 5), comment=st.none() | text(0, 500),
        categories=st.lists(st.text(max_size=24), max_size=8).map(tuple)),
        max_size=60, unique_by=lambda t: t.task_id))
    rated = [t.rating for t in tasks if t.rating]
    stars = tuple(sum(1 for r in rated if r == s) for s in range(1, 6))
    n_hist = draw(st.integers(1, 12))
    hist_months = [_month_key(y, m, back) for back in range(n_hist - 1, -1, -1)]
    skills = draw(st.lists(st.builds(
        SkillCategory, key=st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=24), name=text(1, 12),
        points_total=st.integers(0, 10**9), points_month=st.integers(0, 10**6),
        history=st.lists(st.integers(0, 10**6), min_size=n_hist, max_size=n_hist).map(
            lambda pts: tuple(MonthPoints(month=mm, points=p) for mm, p in zip(hist_months, pts, strict=True)))),
        max_size=12, unique_by=lambda s: s.key))
    level = draw(st.sampled_from(("C", "B", "A", "S")))
    nxt = {"C": "B", "B": "A", "A": "S", "S": None}[level]
    requirements = draw(st.lists(st.builds(
        Requirement, key=st.sampled_from(("completed_tasks", "average_rating", "merchants", "categories")),
        label=text(1, 16), current=st.integers(0, 10**6), required=st.integers(0, 10**6),
        scale=st.sampled_from((1, 100))), max_size=8)) if nxt else []
    data = ReportData(
        developer=Developer(id=draw(st.integers(0, 2**40)), display_name=draw(text(1, 40))),
        month=month, as_of=draw(day), tasks=tuple(tasks),
        earnings=Earnings(reward_fen=draw(fen), commission_fen=draw(fen), net_fen=draw(fen), bonus_fen=draw(fen)),
        ratings=RatingSummary(count=len(rated), average_x100=draw(st.integers(100, 500)) if rated else None,
                              stars=stars),  # type: ignore[arg-type]
        skills=tuple(skills),
        level=LevelProgress(current=level, next=nxt, requirements=tuple(requirements),  # type: ignore[arg-type]
                            previous=draw(st.none() | st.sampled_from(("C", "B", "A", "S")))),
        title=draw(st.none() | text(1, 12)),
        badges=tuple(draw(st.lists(st.builds(Badge, key=st.text("abcdef", min_size=1, max_size=32),
                                             name=text(1, 12), earned_on=day, new_this_month=st.booleans()),
                                   max_size=50))),
        challenges=tuple(draw(st.lists(st.builds(
            ChallengeResult, key=st.text("abcdef", min_size=1, max_size=32), name=text(1, 24),
            status=st.sampled_from(("completed", "in_progress", "failed")), points=st.integers(0, 10**6),
            reward=st.none() | text(0, 30), finished_on=st.none() | day), max_size=30))),
        mentor_letters=tuple(draw(st.lists(st.builds(
            MentorLetter, mentor_name=text(1, 30), challenge=st.none() | text(0, 40), written_on=day,
            text=text(1, 2000)), max_size=10))),
        previous=draw(st.none() | st.builds(PreviousMonth, tasks_completed=st.integers(0, 10_000), net_fen=fen,
                                            average_x100=st.none() | st.integers(100, 500))),
    )
    return finalize(data)
