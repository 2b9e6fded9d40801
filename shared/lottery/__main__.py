"""`python -m shared.lottery verify <draw.json>`: check a draw from its public record alone.

    python -m shared.lottery verify draw.json                  # every check the record allows
    python -m shared.lottery verify draw.json --entries e.json # entries published separately (entries_url)
    python -m shared.lottery verify draw.json --explain        # also print every intermediate value
    python -m shared.lottery verify draw.json --json           # the report as JSON

Exit status: 0 the draw is complete and every check passed; 1 a check failed; 2 the record (or the entries) could
not be read; 3 every check passed but the draw is not complete yet (seed not revealed, or entries unavailable).
`entries_url` is read when the record links its entries: a path relative to the record file, or an http(s) URL.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from shared.lottery.draw import Drbg, EntryList, LotteryError, draw, draw_key, encode_entries
from shared.lottery.record import DrawRecord, Report, parse, parse_entries, verify_record

FETCH_TIMEOUT_S = 60


def load_entries(record: DrawRecord, record_path: Path, override: str | None) -> EntryList | None:
    if override is not None:
        return parse_entries(json.loads(Path(override).read_text(encoding="utf-8")), override)
    if record.entries is not None or record.entries_url is None:
        return record.entries
    url = record.entries_url
    scheme = urllib.parse.urlparse(url).scheme
    if scheme in ("http", "https"):
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310 - scheme checked above
            return parse_entries(json.loads(response.read().decode("utf-8")), url)
    if scheme:
        raise LotteryError("LOTTERY_BAD_RECORD", f"entries_url: only http(s) URLs or relative paths, got {url!r}")
    return parse_entries(json.loads((record_path.parent / url).read_text(encoding="utf-8")), url)


def explain(record: DrawRecord, entries: EntryList) -> list[str]:
    """Every intermediate value of the draw, in the order docs/LOTTERY.md computes them: a reimplementation can be
    compared line by line."""
    assert record.seed is not None and record.entry_digest is not None
    seed = bytes.fromhex(record.seed)
    beacon = record.beacon.beacon()
    encoded = encode_entries(entries)
    lines = [f"seed            {record.seed}",
             f"commitment      {record.commitment}",
             f"entries         {len(entries)} users, {entries.total_tickets} tickets;"
             f" canonical bytes ({len(encoded)}): {_abbrev(encoded.hex())}",
             f"entry digest    {record.entry_digest}",
             f"beacon          source {beacon.source!r} round {beacon.round!r} value {beacon.value.hex()}",
             f"key K           {draw_key(seed, beacon, record.entry_digest).hex()}"]
    drbg = Drbg(draw_key(seed, beacon, record.entry_digest))
    for i in range(2):
        lines.append(f"block {i}         {drbg.read(32).hex()}")
    replay = Drbg(draw_key(seed, beacon, record.entry_digest))
    for step in draw(seed, beacon, entries, record.k).steps:
        # uniform(remaining) spelt out: each L-byte read, and whether it fell under the limit.
        n = step.remaining
        size = ((n - 1).bit_length() + 7) // 8
        limit = (1 << (8 * size)) - (1 << (8 * size)) % n
        reads = []
        while True:
            start = replay.consumed
            x = int.from_bytes(replay.read(size), "big")
            reads.append(f"stream[{start}:{replay.consumed}] = {x}" + ("" if x < limit else " ≥ limit: rejected"))
            if x < limit:
                break
        lines.append(f"rank {step.rank}: remaining {n}, L = {size}, limit = {limit}; {'; '.join(reads)}"
                     f" → position {x % n} → user {step.user_id} ({step.tickets} ticket"
                     f"{'s' if step.tickets != 1 else ''} struck)")
    return lines


def _abbrev(text: str, keep: int = 96) -> str:
    return text if len(text) <= 2 * keep else f"{text[:keep]}…{text[-keep:]}"


def render(report: Report) -> str:
    out = [f"stage: {report.stage}"]
    out += [f"  [{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}" for c in report.checks]
    out += [f"  note: {n}" for n in report.notes]
    verdict = ("VERIFIED" if report.ok and report.complete else "MISMATCH" if not report.ok else
               "INCOMPLETE (nothing failed)")
    out.append(verdict)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.lottery", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("verify", help="verify a draw from its public record")
    check.add_argument("record", help="the draw's public record (JSON, codelink-lottery-draw/v1)")
    check.add_argument("--entries", help="a JSON file of [user_id, tickets] pairs, instead of entries/entries_url")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument("--explain", action="store_true", help="print every intermediate value of the draw")
    args = parser.parse_args(argv)

    path = Path(args.record)
    try:
        record = parse(json.loads(path.read_text(encoding="utf-8")))
        entries = load_entries(record, path, args.entries)
    except (OSError, ValueError) as exc:  # LotteryError and JSONDecodeError are ValueErrors
        print(f"cannot read the draw: {exc}", file=sys.stderr)
        return 2
    report = verify_record(record, entries)
    if args.json:
        payload: dict[str, Any] = report.as_dict()
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        if args.explain and record.stage == "drawn" and entries is not None:
            print("\n".join(explain(record, entries)))
        print(render(report))
    if not report.ok:
        return 1
    return 0 if report.complete else 3


if __name__ == "__main__":
    sys.exit(main())
