"""The provably fair lottery (shared/lottery) against a second implementation written from docs/LOTTERY.md
(tests/support/lottery_reference.py), which shares no code with shared/lottery and is built differently on purpose —
plus, for small inputs, a literal strike-out over a materialised list of ticket slots. If the spec is ambiguous, the
two disagree on some random input.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.lottery import (
    Beacon,
    LotteryError,
    canonical_entries,
    commitment,
    draw,
    entry_digest,
    tally,
    verify,
)
from shared.lottery.__main__ import explain, main
from shared.lottery.draw import Drbg, draw_key, encode_entries, uniform
from shared.lottery.record import DrawRecord, announce, close, complete, parse, verify_record
from tests.support.lottery_reference import literal_draw, ref_draw, ref_entry_bytes, ref_key

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "LOTTERY.md"
EXAMPLE = ROOT / "docs" / "lottery-example-draw.json"
U64 = 2**64 - 1


# --- strategies ------------------------------------------------------------------------------------------------------

seeds = st.binary(min_size=32, max_size=32)
labels = st.text(min_size=1, max_size=24)
values = st.binary(min_size=1, max_size=48)
ticket_counts = st.one_of(st.integers(1, 6), st.integers(1, 1000), st.integers(1, U64))
entry_maps = st.dictionaries(st.one_of(st.integers(0, 50), st.integers(0, U64)), ticket_counts, max_size=40)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=seeds, source=labels, round_=labels, value=values, entries=entry_maps, k=st.integers(1, 45))
def test_agrees_with_the_independent_implementation(seed, source, round_, value, entries, k):
    pairs = list(entries.items())
    result = draw(seed, Beacon(source, round_, value), canonical_entries(pairs), k)
    winners, positions, consumed = ref_draw(seed, source, round_, value, pairs, k)
    assert list(result.winners) == winners
    assert [s.position for s in result.steps] == positions
    assert result.bytes_consumed == consumed
    assert result.key == ref_key(seed, source, round_, value, pairs)
    assert encode_entries(canonical_entries(pairs)) == ref_entry_bytes(pairs)
    assert len(winners) == min(k, len(pairs)) and len(set(winners)) == len(winners)


@settings(max_examples=200, deadline=None)
@given(seed=seeds, value=values,
       entries=st.dictionaries(st.integers(0, 10**6), st.integers(1, 6), max_size=12), k=st.integers(1, 14))
def test_agrees_with_a_literal_strike_out_over_ticket_slots(seed, value, entries, k):
    pairs = list(entries.items())
    result = draw(seed, Beacon("drand:x", "7", value), canonical_entries(pairs), k)
    assert list(result.winners) == literal_draw(seed, "drand:x", "7", value, pairs, k)


@settings(max_examples=150, deadline=None)
@given(seed=seeds, value=values, entries=entry_maps, k=st.integers(1, 20), more=st.integers(1, 30))
def test_winners_for_k_are_the_first_k_for_any_larger_k(seed, value, entries, k, more):
    el = canonical_entries(entries.items())
    beacon = Beacon("s", "r", value)
    assert draw(seed, beacon, el, k).winners == draw(seed, beacon, el, k + more).winners[:k]


# --- test vectors and the worked example (docs/LOTTERY.md §9–§10) ----------------------------------------------------

def doc_vectors() -> list[dict]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- lottery:vectors:start -->\n```json\n(.*?)```\n<!-- lottery:vectors:end -->", text, re.S)
    assert block, "docs/LOTTERY.md lost its test-vector block"
    return json.loads(block.group(1))


def _vector_beacon(b: dict) -> Beacon:
    if b["value_encoding"] == "hex":
        return Beacon.from_hex(b["source"], b["round"], b["value"])
    return Beacon.from_text(b["source"], b["round"], b["value"])


@pytest.mark.parametrize("vector", doc_vectors(), ids=lambda v: v["name"])
def test_documented_vectors(vector):
    given_, expected = vector["input"], vector["output"]
    seed = bytes.fromhex(given_["seed"])
    pairs = [tuple(p) for p in given_["entries"]]
    beacon = _vector_beacon(given_["beacon"])
    el = canonical_entries(pairs)
    result = draw(seed, beacon, el, given_["k"])
    assert commitment(seed) == expected["commitment"]
    assert entry_digest(el) == expected["entry_digest"]
    assert result.key.hex() == expected["key"]
    assert Drbg(result.key).read(32).hex() == expected["block0"]
    assert [s.position for s in result.steps] == expected["positions"]
    assert result.bytes_consumed == expected["bytes_consumed"]
    assert list(result.winners) == expected["winners"]
    # … and the independent implementation computes the same from the same inputs.
    assert hashlib.sha256(seed).hexdigest() == expected["commitment"]
    assert hashlib.sha256(ref_entry_bytes(pairs)).hexdigest() == expected["entry_digest"]
    assert ref_draw(seed, beacon.source, beacon.round, beacon.value, pairs, given_["k"]) == (
        expected["winners"], expected["positions"], expected["bytes_consumed"])


def test_vectors_cover_the_edge_cases_they_claim():
    by_name = {v["name"]: v for v in doc_vectors()}
    assert by_name["no entries"]["output"]["winners"] == []
    assert by_name["no entries"]["output"]["bytes_consumed"] == 0
    assert by_name["one entry, k > users"]["output"]["winners"] == [7]
    huge = next(v for name, v in by_name.items() if name.startswith("huge"))
    assert sum(t for _, t in huge["input"]["entries"]) > 2**64
    rejection = next(v for name, v in by_name.items() if name.startswith("rejection"))
    key = bytes.fromhex(rejection["output"]["key"])
    assert Drbg(key).read(1)[0] >= 129  # the first read (n = 129, one byte) really is rejected
    assert any(v["input"]["beacon"]["value_encoding"] == "utf-8" for v in doc_vectors())


def test_worked_example_in_the_doc_is_what_the_code_prints():
    record = parse(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert record.entries is not None
    doc = DOC.read_text(encoding="utf-8")
    for line in explain(record, record.entries):
        assert line in doc, f"docs/LOTTERY.md §9 is stale: {line!r}"
    assert EXAMPLE.read_text(encoding="utf-8") in doc


def test_the_command_verifies_the_published_example():
    run = subprocess.run([sys.executable, "-m", "shared.lottery", "verify", str(EXAMPLE)], cwd=ROOT,  # noqa: S603
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("VERIFIED")


# --- verification detects tampering ----------------------------------------------------------------------------------

SEED = hashlib.sha256(b"tests: lottery seed").digest()
OTHER_SEED = hashlib.sha256(b"tests: another seed").digest()
BEACON = Beacon.from_hex("drand:test", 4242, "ab" * 32)
ENTRIES = canonical_entries([(100 + i, 1 + i % 7) for i in range(60)])
K = 5


def _checks(**overrides) -> dict[str, bool]:
    args = {"commitment_hex": commitment(SEED), "entries": ENTRIES, "digest_hex": entry_digest(ENTRIES),
            "beacon": BEACON, "seed": SEED, "k": K, "winners": draw(SEED, BEACON, ENTRIES, K).winners}
    return {c.name: c.ok for c in verify(**{**args, **overrides})}


def test_an_honest_draw_verifies():
    assert _checks() == {"commitment": True, "entry_digest": True, "winners": True}


def test_a_seed_other_than_the_committed_one_is_detected():
    assert _checks(seed=OTHER_SEED) == {"commitment": False, "entry_digest": True, "winners": False}


def test_a_tampered_entry_list_is_detected():
    more = canonical_entries([*ENTRIES.pairs()[:-1], (ENTRIES.user_ids[-1], ENTRIES.tickets[-1] + 1)])
    dropped = canonical_entries(ENTRIES.pairs()[1:])
    added = canonical_entries([*ENTRIES.pairs(), (99, 1)])
    for tampered in (more, dropped, added):
        assert _checks(entries=tampered)["entry_digest"] is False


def test_a_wrong_beacon_is_detected():
    for beacon in (Beacon.from_hex("drand:test", 4242, "ac" + "ab" * 31),  # another value
                   Beacon.from_hex("drand:test", 4243, "ab" * 32),  # the same value under another round
                   Beacon.from_hex("drand:other", 4242, "ab" * 32)):  # … or another source
        assert _checks(beacon=beacon) == {"commitment": True, "entry_digest": True, "winners": False}


def test_tampered_winners_or_k_are_detected():
    honest = draw(SEED, BEACON, ENTRIES, K).winners
    assert _checks(winners=(honest[1], honest[0], *honest[2:]))["winners"] is False
    assert _checks(winners=honest[:-1])["winners"] is False
    assert _checks(k=K + 1)["winners"] is False


@settings(max_examples=100, deadline=None)
@given(seed=seeds, entries=st.dictionaries(st.integers(0, U64), st.integers(1, U64 - 1), min_size=1, max_size=20),
       which=st.integers(0, 19), other=seeds)
def test_any_single_ticket_change_or_other_seed_fails_a_hash_check(seed, entries, which, other):
    pairs = sorted(entries.items())
    uid, tickets = pairs[which % len(pairs)]
    changed = canonical_entries([p for p in pairs if p[0] != uid] + [(uid, tickets + 1)])
    assert entry_digest(changed) != entry_digest(canonical_entries(pairs))
    if other != seed:
        assert commitment(other) != commitment(seed)


# --- uniformity (deterministic: fixed key, so these never flake) -----------------------------------------------------

def chi_square(counts: list[int], expected: list[float]) -> float:
    return sum((c - e) ** 2 / e for c, e in zip(counts, expected, strict=True))


def critical_value(df: int, z: float = 3.0902) -> float:
    """The chi-square quantile at p = 0.001 (z = 3.0902), Wilson–Hilferty: within 3% at df = 2 and closer as df
    grows (the tests use df = 5, 9 and 128)."""
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def test_critical_values_match_the_tables():
    assert critical_value(2) == pytest.approx(-2 * math.log(0.001), rel=0.03)  # df = 2 has a closed form
    assert critical_value(5) == pytest.approx(20.515, rel=0.015)
    assert critical_value(9) == pytest.approx(27.877, rel=0.01)


def test_uniform_is_flat_on_a_small_range():
    drbg = Drbg(hashlib.sha256(b"uniformity n=10").digest())
    counts = Counter(uniform(drbg, 10) for _ in range(50_000))
    assert sorted(counts) == list(range(10))
    assert chi_square([counts[i] for i in range(10)], [5_000.0] * 10) < critical_value(9)


def test_uniform_is_flat_where_modulo_would_be_biased_and_the_test_would_see_it():
    """n = 129 with one byte: plain `x mod 129` makes 0–126 twice as likely as 127–128. Rejection sampling stays flat;
    the same statistic on the naive sampler, fed the same stream, is far over the line (the test has power)."""
    n, draws = 129, 129 * 400
    ours = Drbg(hashlib.sha256(b"uniformity n=129").digest())
    counts = Counter(uniform(ours, n) for _ in range(draws))
    naive = Drbg(hashlib.sha256(b"uniformity n=129").digest())
    biased = Counter(naive.read(1)[0] % n for _ in range(draws))
    expected = [draws / n] * n
    assert chi_square([counts[i] for i in range(n)], expected) < critical_value(n - 1)
    assert chi_square([biased[i] for i in range(n)], expected) > critical_value(n - 1)


def test_a_user_wins_in_proportion_to_tickets_and_the_runner_up_among_the_rest():
    """6,000 draws (beacon rounds 0…5999) over tickets 1:2:3, k = 2: the ordered pair (first, second) has probability
    t_a/6 · t_b/(6 − t_a). A rule that skipped repeats wrongly, or ignored tickets, would fail this."""
    el = canonical_entries([(1, 1), (2, 2), (3, 3)])
    pairs = Counter(draw(SEED, Beacon("test", str(i), b"v"), el, 2).winners for i in range(6_000))
    tickets = dict(el.pairs())
    cells = [(a, b) for a in tickets for b in tickets if a != b]
    expected = [6_000 * tickets[a] / 6 * tickets[b] / (6 - tickets[a]) for a, b in cells]
    assert chi_square([pairs[c] for c in cells], expected) < critical_value(len(cells) - 1)


# --- edge cases ------------------------------------------------------------------------------------------------------

def test_no_entries_draw_no_winners_and_verify():
    empty = canonical_entries([])
    result = draw(SEED, BEACON, empty, 3)
    assert result.winners == () and result.bytes_consumed == 0
    assert all(c.ok for c in verify(commitment_hex=commitment(SEED), entries=empty, digest_hex=entry_digest(empty),
                                    beacon=BEACON, seed=SEED, k=3, winners=[]))


def test_one_entry_wins_whatever_k():
    one = canonical_entries([(5, 3)])
    assert draw(SEED, BEACON, one, 1).winners == (5,)
    assert draw(SEED, BEACON, one, 100).winners == (5,)


def test_k_above_the_number_of_users_ranks_everyone_once():
    result = draw(SEED, BEACON, ENTRIES, 10**9)
    assert sorted(result.winners) == list(ENTRIES.user_ids)
    assert [s.rank for s in result.steps] == list(range(1, len(ENTRIES) + 1))


def test_huge_ticket_counts_take_one_draw_per_winner():
    """One user with 2^64-1 tickets and another with 1: striking needs two draws where skip-and-redraw would need
    ~2^64; the lone ticket can still win rank 1 (checked over rounds until it does)."""
    el = canonical_entries([(1, U64), (2, 1)])
    results = [draw(SEED, Beacon("s", str(r), b"v"), el, 2) for r in range(50)]
    assert all(sorted(r.winners) == [1, 2] and len(r.steps) == 2 for r in results)
    assert all(r.steps[0].remaining == 2**64 for r in results)
    positions = [r.steps[0].position for r in results]
    assert len(set(positions)) == 50 and max(positions) > 2**63  # 8-byte reads spread over the whole range
    bigger = canonical_entries([(i, U64) for i in range(1000)])  # a total of ~2^74: 10-byte reads
    assert len(draw(SEED, BEACON, bigger, 1000).winners) == 1000


def test_tally_counts_one_ticket_per_occurrence():
    el = tally([7, 3, 7, 7, 3, 9])
    assert el.pairs() == [(3, 2), (7, 3), (9, 1)] and el.total_tickets == 6


@pytest.mark.parametrize("pairs, code", [
    ([(1, 1), (1, 2)], "LOTTERY_DUPLICATE_USER"),
    ([(1, 0)], "LOTTERY_BAD_ENTRIES"),
    ([(-1, 1)], "LOTTERY_BAD_ENTRIES"),
    ([(2**64, 1)], "LOTTERY_BAD_ENTRIES"),
    ([(1, 2**64)], "LOTTERY_BAD_ENTRIES"),
    ([(1, True)], "LOTTERY_BAD_ENTRIES"),
    ([(1, 1.0)], "LOTTERY_BAD_ENTRIES"),
    ([("1", 1)], "LOTTERY_BAD_ENTRIES"),
    ([(1, 1, 1)], "LOTTERY_BAD_ENTRIES"),
    ([{"user": 1, "tickets": 1}], "LOTTERY_BAD_ENTRIES"),
    (["ab"], "LOTTERY_BAD_ENTRIES"),
    ([3], "LOTTERY_BAD_ENTRIES"),
    ([None], "LOTTERY_BAD_ENTRIES"),
])
def test_bad_entries_are_refused(pairs, code):
    with pytest.raises(LotteryError) as err:
        canonical_entries(pairs)
    assert err.value.code == code


def test_bad_seed_beacon_and_k_are_refused():
    for seed in (b"", b"x" * 31, b"x" * 33, "x" * 32):
        with pytest.raises(LotteryError, match="32 bytes"):
            commitment(seed)  # type: ignore[arg-type]
    for make in (lambda: Beacon("", "1", b"v"), lambda: Beacon("s", "", b"v"), lambda: Beacon("s", "1", b""),
                 lambda: Beacon("s" * 257, "1", b"v"), lambda: Beacon.from_hex("s", 1, "xyz"),
                 lambda: Beacon.from_hex("s", True, "ab")):  # type: ignore[arg-type]
        with pytest.raises(LotteryError) as err:
            make()
        assert err.value.code == "LOTTERY_BAD_BEACON"
    for k in (0, -1, True, 1.5):
        with pytest.raises(LotteryError) as err:
            draw(SEED, BEACON, ENTRIES, k)  # type: ignore[arg-type]
        assert err.value.code == "LOTTERY_BAD_K"
    with pytest.raises(LotteryError) as err:
        draw_key(SEED, BEACON, "AB" * 32)
    assert err.value.code == "LOTTERY_BAD_DIGEST"


def test_beacon_round_numbers_are_recorded_as_decimal_text():
    assert Beacon.from_hex("drand:x", 24_000_000, "00").round == "24000000"
    result = "第2026138期 03 07 + 09"
    assert Beacon.from_text("双色球", "2026138", result).value == result.encode("utf-8")
    assert len(Beacon.from_text("双色球", "2026138", result).value) == len(result) + 4  # 第, 期: 3 bytes each


# --- the public record and the command ------------------------------------------------------------------------------

def _drawn(entries_url: str | None = None) -> DrawRecord:
    from datetime import datetime, timedelta, timezone

    rec = announce(lottery="test", close_time=datetime(2026, 12, 31, 16, tzinfo=timezone(timedelta(hours=8))),
                   seed=SEED, beacon_source="drand:test", beacon_round=4242, k=K)
    rec = close(rec, ENTRIES, entries_url=entries_url)
    return complete(rec, ENTRIES, SEED, beacon_value="ab" * 32)


def test_record_stages_round_trip_through_json():
    rec = _drawn()
    assert parse(json.loads(rec.to_json())) == rec
    assert rec.stage == "drawn" and rec.winners == draw(SEED, BEACON, ENTRIES, K).winners
    report = verify_record(rec)
    assert report.ok and report.complete
    assert {c["name"] for c in report.as_dict()["checks"]} == {"entry_count", "ticket_total", "commitment",
                                                                 "entry_digest", "winners"}


def test_complete_refuses_another_seed_or_other_entries():
    from datetime import datetime, timezone

    rec = close(announce(lottery="t", close_time=datetime(2026, 1, 1, tzinfo=timezone.utc), seed=SEED,
                         beacon_source="s", beacon_round="1", k=1), ENTRIES)
    with pytest.raises(LotteryError, match="committed"):
        complete(rec, ENTRIES, OTHER_SEED, beacon_value="ab")
    with pytest.raises(LotteryError, match="not the ones closed"):
        complete(rec, canonical_entries(ENTRIES.pairs()[1:]), SEED, beacon_value="ab")


def _write(tmp_path: Path, data: dict, name: str = "draw.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_command_exit_codes_for_each_stage_and_each_tampering(tmp_path, capsys):
    honest = _drawn().to_dict()
    assert main(["verify", str(_write(tmp_path, honest))]) == 0
    announced = {k: v for k, v in honest.items() if k in ("format", "lottery", "close_time", "commitment", "k")}
    announced["beacon"] = {"source": "drand:test", "round": "4242"}
    assert main(["verify", str(_write(tmp_path, announced))]) == 3
    closed = {**announced, **{k: honest[k] for k in ("entry_count", "ticket_total", "entry_digest", "entries")}}
    assert main(["verify", str(_write(tmp_path, closed))]) == 3
    assert main(["verify", str(_write(tmp_path, {**closed, "entries": honest["entries"][1:]}))]) == 1
    capsys.readouterr()
    tampered = {
        "seed": OTHER_SEED.hex(),
        "entries": [[u, t + (1 if i == 0 else 0)] for i, (u, t) in enumerate(honest["entries"])],
        "beacon": {**honest["beacon"], "value": "ac" * 32},
        "winners": list(reversed(honest["winners"])),
        "k": K + 1,
        "ticket_total": honest["ticket_total"] + 1,
    }
    for field_, value in tampered.items():
        assert main(["verify", str(_write(tmp_path, {**honest, field_: value}))]) == 1, field_
        assert "MISMATCH" in capsys.readouterr().out


@pytest.mark.parametrize("change", [
    {"format": "codelink-lottery-draw/v2"}, {"surprise": 1}, {"commitment": "AB" * 32}, {"seed": "00"},
    {"close_time": "2026-12-31T23:59:59"}, {"k": 0}, {"entries": [[1, 0]]}, {"entries": [[1, 1], [1, 2]]},
    {"entries_url": "x.json"}, {"beacon": {"source": "s", "round": "1", "value": "zz", "value_encoding": "hex"}},
    {"beacon": {"source": "s", "round": "1", "value": "AB", "value_encoding": "hex"}},
    {"beacon": {"source": "s", "round": "1", "value": "ab"}}, {"winners": ["1"]},
])
def test_malformed_records_exit_2(tmp_path, change, capsys):
    assert main(["verify", str(_write(tmp_path, {**_drawn().to_dict(), **change}))]) == 2
    assert "cannot read the draw" in capsys.readouterr().err


def test_unreadable_files_exit_2(tmp_path):
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert main(["verify", str(tmp_path / "bad.json")]) == 2
    assert main(["verify", str(tmp_path / "missing.json")]) == 2


def test_linked_entries_by_relative_path_and_override(tmp_path, capsys):
    record = _drawn(entries_url="entries/2026-12.json").to_dict()
    assert "entries" not in record
    path = _write(tmp_path, record)
    assert main(["verify", str(path)]) == 2  # linked file missing
    assert main(["verify", str(path), "--entries", str(_write(tmp_path, ENTRIES.pairs(), "e.json"))]) == 0
    (tmp_path / "entries").mkdir()
    _write(tmp_path, [list(p) for p in reversed(ENTRIES.pairs())], "entries/2026-12.json")  # any order
    capsys.readouterr()
    assert main(["verify", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["complete"] is True
    _write(tmp_path, [list(p) for p in ENTRIES.pairs()[1:]], "entries/2026-12.json")
    assert main(["verify", str(path)]) == 1


def test_linked_entries_over_http(tmp_path):
    """entries_url an http URL: fetched from a real HTTP server on loopback."""
    body = json.dumps(ENTRIES.pairs()).encode()

    class Entries(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path == "/lottery/2026-12/entries.json"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if ok else b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Entries)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        good = _write(tmp_path, _drawn(entries_url=f"{base}/lottery/2026-12/entries.json").to_dict())
        assert main(["verify", str(good)]) == 0
        missing = _write(tmp_path, _drawn(entries_url=f"{base}/nothing.json").to_dict(), "missing.json")
        assert main(["verify", str(missing)]) == 2
        ftp = _write(tmp_path, _drawn(entries_url="ftp://example.org/e.json").to_dict(), "ftp.json")
        assert main(["verify", str(ftp)]) == 2
    finally:
        server.shutdown()
        server.server_close()
