"""The hall's kept scored bands (shared/tasks/hall.py ScoredBands): least recently used first out, bounded in entries
and in shape ids held, and what a caller gets back is its own."""

from __future__ import annotations

import threading

from shared.tasks.hall import ScoredBands


def test_the_least_recently_used_band_goes_first_when_entries_are_full():
    bands = ScoredBands(max_entries=2, max_ids=100)
    bands.put(("a",), [(9000, [1, 2])])
    bands.put(("b",), [(8000, [3])])
    assert bands.get(("a",)) == [(9000, [1, 2])]  # a is now the most recent
    bands.put(("c",), [(7000, [4])])
    assert bands.get(("b",)) is None and bands.get(("a",)) == [(9000, [1, 2])] and len(bands) == 2


def test_the_shape_ids_held_are_bounded_and_a_band_over_the_budget_is_not_kept():
    bands = ScoredBands(max_entries=10, max_ids=5)
    bands.put(("a",), [(9000, [1, 2]), (5000, [3])])
    bands.put(("b",), [(8000, [4, 5, 6])])  # 6 ids held: a goes
    assert bands.get(("a",)) is None and bands.get(("b",)) == [(8000, [4, 5, 6])]
    bands.put(("big",), [(1, list(range(6)))])
    assert bands.get(("big",)) is None and len(bands) == 1
    bands.put(("c",), [(7000, [7, 8])])
    assert bands.get(("b",)) == [(8000, [4, 5, 6])] and bands.get(("c",)) == [(7000, [7, 8])]


def test_a_caller_changing_its_band_does_not_change_what_is_kept():
    bands = ScoredBands()
    parts = [(9000, [1, 2])]
    bands.put(("a",), parts)
    parts[0][1].append(99)
    got = bands.get(("a",))
    assert got == [(9000, [1, 2])]
    got[0][1].clear()
    assert bands.get(("a",)) == [(9000, [1, 2])]


def test_threads_filling_and_reading_keep_the_bounds():
    bands = ScoredBands(max_entries=50, max_ids=400)
    errors: list[str] = []

    def work(t):
        for i in range(300):
            k = i % 80
            bands.put((t, k), [(k, list(range(k % 7 + 1)))])
            j = (i * 7) % 80
            got = bands.get((t, j))
            if got is not None and got != [(j, list(range(j % 7 + 1)))]:
                errors.append(f"{t} {j}: {got}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(bands) <= 50 and bands._ids <= 400
    assert bands._ids == sum(len(ids) for parts in bands._entries.values() for _, ids in parts)
