"""Challenge helpers: the seeded challenges (the migration's own INSERT, re-run after each test's truncation) and a
worker loop."""

from __future__ import annotations

from pathlib import Path

from shared import jobs
from tests.support.db import execute

ROOT = Path(__file__).resolve().parents[2]


def seed_challenges() -> None:
    """Run the seed statement of infra/migrations/0030_challenges.sql again (the tests empty every table)."""
    sql = (ROOT / "infra/migrations/0030_challenges.sql").read_text(encoding="utf-8")
    statement = sql[sql.index("INSERT INTO challenges"):]
    execute(statement)


def work_all() -> None:
    """Work off every queued job (event deliveries included) until none is left; none may fail."""
    while True:
        report = jobs.work()
        assert report.failed == 0 and report.retried == 0, report  # a subscriber that raised
        if not report.done:
            return
