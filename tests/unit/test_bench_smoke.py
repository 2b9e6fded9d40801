"""The benchmark's pure helpers (no database, no seed): percentiles, SQL placeholders, the report and its markers."""

from __future__ import annotations

import pytest

from bench import report
from bench.apply import ApplyResult
from bench.hall import HallResult, _pyformat
from bench.imports import ImportResult
from bench.seed import STATUS_SHARES, _pick
from bench.stats import Summary, percentile


def test_percentile_interpolates_like_numpy():
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 3.0
    assert percentile(values, 100) == 5.0
    assert percentile(values, 25) == 2.0
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summary():
    s = Summary.of([1.0, 2.0, 3.0, 4.0])
    assert (s.n, s.p50, s.mean, s.max) == (4, 2.5, 2.5, 4.0)


def test_pyformat_leaves_casts_and_percent_alone():
    sql = "SELECT 1 WHERE a = :now AND b && CAST(:tags AS text[]) AND c LIKE 'x%'"
    assert _pyformat(sql) == "SELECT 1 WHERE a = %(now)s AND b && CAST(%(tags)s AS text[]) AND c LIKE 'x%%'"


def test_status_shares_sum_to_one_and_pick_covers_them():
    assert sum(share for _, share in STATUS_SHARES) == pytest.approx(1.0)
    case = _pick([("'a'", 0.5), ("'b'", 0.5)], "u")
    assert case == "CASE WHEN u < 0.500000 THEN 'a' ELSE 'b' END"


def _summary(x: float) -> Summary:
    return Summary(10, x, x, x * 1.5, x, x * 2)


def test_render_and_marker_replacement(tmp_path, monkeypatch):
    m = report.Machine(2, "CPU", "1Gi", "CPython 3.11", "PostgreSQL 16", "embedded", "0.1", "0.2")
    hall = [HallResult("scenario", 20, 1, _summary(4.0), _summary(2.0), _summary(1.0), 1, 1)]
    apply = ApplyResult(_summary(10.0), _summary(2.0), _summary(8.0), 15, 2, ["SELECT 1"])
    imports = [ImportResult("baseline", 100.0, 90.0, 500, False, ratio=1.0, min_ratio=1.0, wall_ms=110.0, runs=7),
               ImportResult("tasks", 140.0, 130.0, 900, False, ratio=1.4, min_ratio=1.44, wall_ms=150.0,
                            heavy=[("shared.tasks", 12.0)], runs=7)]
    text = report.render(when="now", m=m, seed="seed", params="p", hall=hall, apply=apply, imports=imports, notes=[])
    assert "| scenario | 1 | 20 | 4.00 | 6.00 |" in text
    assert "**MISS**" in text and "shared.tasks 12 ms" in text
    doc = tmp_path / "BENCHMARKS.md"
    monkeypatch.setattr(report, "DOC", doc)
    doc.write_text(f"# B\n\nprose\n\n{report.START}\nold\n{report.END}\n\nmore prose\n", encoding="utf-8")
    report.write_doc("new numbers\n")
    written = doc.read_text(encoding="utf-8")
    assert "old" not in written and "new numbers" in written
    assert written.startswith("# B\n\nprose") and written.endswith("more prose\n")


def test_detector_bench_runs_small_and_renders():
    from bench import detector

    result = detector.run(repeat=1, progress=lambda _m: None, messages=detector.load_messages()[:40], cold_repeats=0)
    assert result.scans == 40 and result.messages == 40 and result.rules > 40
    assert 0 < result.flagged_share < 1
    text = detector.render(result)
    assert "messages per second" in text and "| one chat message" in text
def test_reports_section_markdown_and_its_own_markers(tmp_path, monkeypatch):
    from bench import reports

    result = reports.ReportsResult(
        reports=10, cpu_s=0.4, wall_s=0.5, render_ms_p50=40.0, render_ms_p99=60.0, sizes=[60_000] * 9 + [70_000],
        worst_case_bytes=85_000, worst_case_trimmed=100, pages={2: 3, 3: 7}, fallback_share=0.3, import_cpu_ms=250.0,
        import_wall_ms=260.0, import_modules=580, first_cpu_ms=450.0, first_wall_ms=500.0, repeats=3,
        load_before="0.1", load_after="0.2", functions=[])
    assert result.per_core == 25.0
    text = reports.render_markdown(result, "now")
    assert "**25.0**" in text and "under the goal, above the floor" in text and "250 ms" in text
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text(f"# Benchmarks\n\nprose\n\n{report.START}\nold\n{report.END}\n")
    monkeypatch.setattr(reports, "DOC", doc)
    reports.write_doc("first\n")
    reports.write_doc("second\n")
    written = doc.read_text()
    assert "second" in written and "first" not in written and "prose" in written and "old" in written


def test_leaderboards_render_flags_a_p99_over_the_goal():
    from bench.leaderboards import Result, render

    result = Result(1000, 10_000, 1.0, 0.5, 12_000, [("top 100 — weekly", _summary(1.0)),
                                                     ("my rank — any user", _summary(4.0))])
    text = render(result)
    assert "| top 100 — weekly | 10 | 1.00 | 1.00 | 1.50 | 2.00 | ok |" in text
    assert "| my rank — any user | 10 | 4.00 | 4.00 | 6.00 | 8.00 | **MISS** |" in text


def test_checkin_render_lists_the_three_cases_with_p50_and_p99():
    from bench.checkin import CheckinResult, render

    a, b, c = Summary.of([1.0, 2.0]), Summary.of([3.0, 4.0]), Summary.of([0.5, 0.7])
    table = render(CheckinResult(first=a, continuing=b, again=c)).splitlines()
    assert table[0].startswith("| POST /checkin | n | p50 ms | p90 ms | p99 ms") and len(table) == 5
    assert "| first check-in ever" in table[2] and f"| {a.p50:.2f} |" in table[2] and f"| {a.p99:.2f} |" in table[2]
    assert "7th day" in table[3] and f"| {b.p99:.2f} |" in table[3] and "same day" in table[4]
