"""The lottery benchmark at toy scale (its real scale is `make bench`): it runs, checks the winners it publishes, and
its report lands in its own block of docs/BENCHMARKS.md without touching the rest. No timing is asserted."""

from __future__ import annotations

from collections import Counter

from bench import lottery, report


def test_entrants_hold_exactly_the_tickets_asked_for_with_distinct_ids():
    import random

    pairs = lottery.entrants(random.Random(1), 50, 400)
    assert len(pairs) == 50 and sum(t for _, t in pairs) == 400
    assert len({uid for uid, _ in pairs}) == 50 and min(t for _, t in pairs) >= 1


def test_a_small_run_verifies_its_own_draw_in_process_and_with_the_command():
    results = lottery.run(tickets=500, k=5, repeats=2, progress=lambda _m: None)
    assert [(r.entrants, r.tickets) for r in results] == [(500, 500), (100, 500)]
    for r in results:
        assert r.same_winners and r.cli_exit == 0
        assert len(r.winners) == 5 and len(set(r.winners)) == 5
        assert len(r.close_s) == len(r.draw_s) == len(r.verify_s) == 2
    text = lottery.render(results)
    assert "| 500 entrants × 1 ticket | 5 |" in text and "**NO**" not in text


def test_a_result_whose_winners_differ_misses_the_goal():
    r = lottery.LotteryResult("x", 1, 1, 1, [0.1], [0.1], [0.1], [0.1], 10, 0.2, 20.0, 0, (1,), same_winners=False)
    assert not r.meets_goal
    assert "**NO**" in lottery.render([r]) and "**MISS**" in lottery.render([r])
    slow = lottery.LotteryResult("x", 1, 1, 1, [6.0], [5.0], [0.1], [0.1], 10, 0.2, 20.0, 0, (1,), True)
    assert not slow.meets_goal  # close + draw = 11 s > 10 s


def test_the_lottery_block_is_appended_once_then_replaced(tmp_path, monkeypatch):
    doc = tmp_path / "BENCHMARKS.md"
    monkeypatch.setattr(report, "DOC", doc)
    start, end = report.block_markers("lottery")
    doc.write_text(f"# B\n\n{report.START}\nmain\n{report.END}\n\nprose\n", encoding="utf-8")
    report.write_block("lottery", "## Lottery", "first\n")
    report.write_block("lottery", "## Lottery", "second\n")
    text = doc.read_text(encoding="utf-8")
    assert Counter(text.splitlines())["## Lottery"] == 1
    assert f"{start}\nsecond\n{end}" in text and "first" not in text
    assert text.startswith(f"# B\n\n{report.START}\nmain\n{report.END}\n\nprose")
