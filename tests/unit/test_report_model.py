"""ReportData: validation at its documented limits, canonical order, canonical bytes that are stable and round-trip."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from shared.reports.model import (
    CompletedTask,
    MonthPoints,
    RatingSummary,
    ReportData,
    SkillCategory,
    canonical_bytes,
    from_canonical,
    previous_month,
)
from shared.reports.suggestions import finalize
from tests.support.report_strategies import report_data
from tests.support.reports import busy_month, quiet_month


def test_canonical_bytes_are_sorted_compact_utf8_json_without_floats():
    raw = canonical_bytes(busy_month())
    text = raw.decode("utf-8")
    assert "李明轩" in text  # not \u escaped
    assert ": " not in text and ", " not in text.replace("， ", "")
    doc = json.loads(raw)
    assert list(doc) == sorted(doc)

    def no_floats(value):
        if isinstance(value, float):
            raise AssertionError(f"float in canonical data: {value}")
        if isinstance(value, dict):
            assert list(value) == sorted(value)
            for v in value.values():
                no_floats(v)
        if isinstance(value, list):
            for v in value:
                no_floats(v)

    no_floats(doc)


def test_round_trip_and_stability():
    data = busy_month()
    raw = canonical_bytes(data)
    assert canonical_bytes(from_canonical(raw)) == raw
    assert canonical_bytes(busy_month()) == raw  # built again from the same facts
    assert canonical_bytes(finalize(data)) == raw  # finalize is idempotent


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(report_data())
def test_any_report_round_trips(data):
    raw = canonical_bytes(data)
    assert canonical_bytes(from_canonical(raw)) == raw
    assert finalize(data) == data


def test_finalize_orders_every_list():
    data = busy_month()
    shuffled = data.model_copy(update={"tasks": tuple(reversed(data.tasks)), "skills": tuple(reversed(data.skills)),
                                       "badges": tuple(reversed(data.badges))})
    assert canonical_bytes(finalize(shuffled)) == canonical_bytes(data)
    assert [t.completed_on for t in data.tasks] == sorted(t.completed_on for t in data.tasks)
    assert [s.points_total for s in data.skills] == sorted((s.points_total for s in data.skills), reverse=True)


def test_limits_and_consistency_are_enforced():
    data = quiet_month()
    with pytest.raises(ValidationError, match="as_of"):
        data.model_validate({**data.model_dump(), "as_of": date(2026, 11, 1)})
    with pytest.raises(ValidationError, match="YYYY-MM"):
        data.model_validate({**data.model_dump(), "month": "2026-13"})
    task = dict(task_id=1, title="任务", merchant="商家", completed_on=date(2026, 9, 30), reward_fen=100, earned_fen=85)
    with pytest.raises(ValidationError, match="not completed in 2026-10"):
        data.model_validate({**data.model_dump(), "tasks": [task]})
    with pytest.raises(ValidationError):
        CompletedTask(**{**task, "title": "长" * 101})
    with pytest.raises(ValidationError):
        CompletedTask(**{**task, "rating": 6})
    with pytest.raises(ValidationError):
        CompletedTask(**{**task, "reward_fen": -1})
    with pytest.raises(ValidationError, match="add up"):
        RatingSummary(count=2, average_x100=450, stars=(0, 0, 0, 1, 0))
    with pytest.raises(ValidationError, match="exactly when"):
        RatingSummary(count=0, average_x100=450)
    with pytest.raises(ValidationError, match="history must end"):
        ReportData.model_validate({**data.model_dump(), "skills": [SkillCategory(
            key="backend", name="后端", points_total=1, points_month=1,
            history=(MonthPoints(month="2026-09", points=1),)).model_dump()]})
    with pytest.raises(ValidationError):
        ReportData.model_validate({**data.model_dump(), "surprise": 1})  # unknown fields are refused
    with pytest.raises(ValidationError):
        data.model_validate({**data.model_dump(), "tasks": [task | {"completed_on": date(2026, 10, 1), "task_id": i}
                                                            for i in range(501)]})


def test_previous_month():
    assert previous_month("2026-01") == "2025-12"
    assert previous_month("2026-10") == "2026-09"


def test_key_is_developer_and_month():
    assert busy_month().key == "1024:2026-10"
