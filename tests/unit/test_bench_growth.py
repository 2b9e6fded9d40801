"""bench/growth.py's report, without a database: goal marks against newest, the nightly extrapolation, the lag."""

from __future__ import annotations

from bench.growth import DeepPages, LagResult, MatchResult, NightlyResult, render
from bench.stats import Summary


def s(p99: float, p50: float = 1.0) -> Summary:
    return Summary(n=100, p50=p50, p90=p99, p99=p99, mean=p50, max=p99)


def test_match_rows_are_judged_against_newest_of_the_same_page_and_15_ms():
    results = [MatchResult("newest, no filter (baseline)", 1, 20, s(4.0)),
               MatchResult("newest, no filter (baseline)", 0, 20, s(5.0)),
               MatchResult("match: within", 1, 20, s(7.9)),
               MatchResult("match: twice newest", 1, 20, s(8.1)),
               MatchResult("match: walk", 0, 20, s(9.0))]
    lines = render((results, "seed", None), None, None).splitlines()
    row = {line.split(" | ")[0].lstrip("| "): line for line in lines if line.startswith("| ")}
    assert row["match: within"].endswith("| 1.98× | ✅ |")
    assert row["match: twice newest"].endswith("| 2.02× | ❌ |")
    assert "| 1–100 |" in row["match: walk"] and row["match: walk"].endswith("| 1.80× | ✅ |")


def test_deep_pages_show_the_first_visit_and_the_kept_bands():
    deep = DeepPages("match: 6 skills", 300, 400, s(24.0, p50=9.0), s(6.0, p50=2.5))
    text = render(([], "seed", deep), None, None)
    assert "Deep pages 300–400 of 6 skills, 100 page visits each" in text
    assert "first visit (every band" in text and "p50 9.00, p90 24.00, p99 24.00;" in text
    assert "bands kept p50 2.50, p90 6.00, p99 6.00 (✅ p99 ≤ 15 ms)" in text
    slow = DeepPages("match: 6 skills", 300, 400, s(24.0), s(16.0))
    assert "(❌ p99 ≤ 15 ms)" in render(([], "seed", slow), None, None)


def test_the_nightly_is_extrapolated_linearly_to_a_million_only_when_smaller():
    small = NightlyResult(100_000, 500_000, 8.0, 72.0, {"promoted": 57_000, "demoted": 0}, 4.0,
                          {"promoted": 0, "demoted": 0})
    text = render(None, small, None)
    assert "first night 72.0 s" in text and "steady night ≈ 40 s" in text and "first night ≈ 720 s" in text
    full = NightlyResult(1_000_000, 5_000_000, 80.0, 700.0, {"promoted": 1, "demoted": 2}, 39.0,
                         {"promoted": 0, "demoted": 0})
    assert "Extrapolated" not in render(None, full, None)


def test_the_lag_meets_its_goal_below_one_second():
    ok = LagResult(100, 500, s(950.0), s(990.0), s(40.0), s(20.0), 9.0)
    late = LagResult(100, 500, s(1001.0), s(1001.0), s(40.0), s(20.0), 9.0)
    assert "✅" in render(None, None, ok) and "❌" in render(None, None, late)
