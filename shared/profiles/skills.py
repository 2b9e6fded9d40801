"""The curated skill taxonomy (skills roll up into categories for the skill graph). Changes only by migration, so a
warm container caches it."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import text

from shared.db import get_engine
from shared.errors import ValidationFailed


@lru_cache(maxsize=1)
def taxonomy() -> dict[str, tuple[str, str]]:
    """slug -> (name, category slug)"""
    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT slug, name, category FROM skills")).all()
    return {r.slug: (r.name, r.category) for r in rows}


@lru_cache(maxsize=1)
def categories() -> list[tuple[str, str]]:
    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT slug, name FROM skill_categories ORDER BY position")).all()
    return [(r.slug, r.name) for r in rows]


def check_skills(slugs: list[str], field: str) -> list[str]:
    known = taxonomy()
    unknown = [s for s in slugs if s not in known]
    if unknown:
        raise ValidationFailed([{"field": field, "message": f"未知的技能标签：{', '.join(unknown)}"}])
    return list(dict.fromkeys(slugs))  # dedupe, keep order


def category_count(slugs: list[str]) -> int:
    known = taxonomy()
    return len({known[s][1] for s in slugs if s in known})
