"""Seed helpers: the seeded challenges and badges (the migrations' own INSERTs, re-run after each test's truncation)."""

from __future__ import annotations

from pathlib import Path

from tests.support.db import execute

ROOT = Path(__file__).resolve().parents[2]


def seed_challenges() -> None:
    """Run the seed statement of infra/migrations/0030_challenges.sql again (the tests empty every table), and forget
    the hall's in-process "browsed today" memo: ids restart after the truncation and every test starts on the same
    day, so user 1 of an earlier test would otherwise make this test's user 1 publish no HallBrowsed."""
    from shared.tasks import service as tasks_service

    tasks_service._browsed.clear()
    sql = (ROOT / "infra/migrations/0030_challenges.sql").read_text(encoding="utf-8")
    statement = sql[sql.index("INSERT INTO challenges"):]
    execute(statement)


def seed_badges() -> None:
    """Put the seeded badges back (infra/migrations/0026_badges_seed.sql): data like any table, emptied by the tests."""
    execute((ROOT / "infra/migrations/0026_badges_seed.sql").read_text(encoding="utf-8"))
