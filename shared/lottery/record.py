"""The public record of a draw (JSON, `codelink-lottery-draw/v1`) and its verification from that record alone.

One document grows through the lottery's life, so a reader always sees what was promised before what happened:

    announced  format, lottery, close_time, commitment, beacon {source, round}, k
    closed     + entry_count, ticket_total, entry_digest, entries (inline) or entries_url
    drawn      + beacon.value / beacon.value_encoding, winners, seed

Pure and standard-library only, like draw.py. docs/LOTTERY.md §6 specifies every field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.lottery.draw import (
    Beacon,
    Check,
    EntryList,
    LotteryError,
    canonical_entries,
    check_seed,
    commitment,
    draw,
    entry_digest,
    verify,
)

FORMAT = "codelink-lottery-draw/v1"
FIELDS = {"format", "lottery", "close_time", "commitment", "beacon", "k", "entry_count", "ticket_total",
          "entry_digest", "entries", "entries_url", "winners", "seed"}
BEACON_FIELDS = {"source", "round", "value", "value_encoding"}
ENCODINGS = ("hex", "utf-8")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _bad(message: str) -> LotteryError:
    return LotteryError("LOTTERY_BAD_RECORD", message)


@dataclass(frozen=True)
class BeaconSpec:
    """The beacon as announced (source, round) and, once drawn, its value as published: the text and how to turn it
    into bytes ("hex" for a drand randomness, "utf-8" for a lottery result as printed)."""

    source: str
    round: str
    value: str | None = None
    value_encoding: str | None = None

    def beacon(self) -> Beacon:
        if self.value is None or self.value_encoding is None:
            raise _bad("the beacon value is not in the record yet")
        if self.value_encoding == "hex":
            if self.value != self.value.lower():
                raise _bad("beacon.value in hex must be lowercase")
            return Beacon.from_hex(self.source, self.round, self.value)
        return Beacon.from_text(self.source, self.round, self.value)


@dataclass(frozen=True)
class DrawRecord:
    lottery: str
    close_time: str
    commitment: str
    beacon: BeaconSpec
    k: int
    entry_count: int | None = None
    ticket_total: int | None = None
    entry_digest: str | None = None
    entries: EntryList | None = field(default=None, repr=False)
    entries_url: str | None = None
    winners: tuple[int, ...] | None = None
    seed: str | None = None

    @property
    def stage(self) -> str:
        if self.seed is not None:
            return "drawn"
        if self.entry_digest is not None:
            return "closed"
        return "announced"

    def to_dict(self, *, entries: bool = True) -> dict[str, Any]:
        """The record as JSON values. `entries=False` leaves an empty placeholder where the entries go (to_json
        writes them itself, faster)."""
        out: dict[str, Any] = {"format": FORMAT, "lottery": self.lottery, "close_time": self.close_time,
                               "commitment": self.commitment}
        beacon: dict[str, Any] = {"source": self.beacon.source, "round": self.beacon.round}
        if self.beacon.value is not None:
            beacon |= {"value": self.beacon.value, "value_encoding": self.beacon.value_encoding}
        out |= {"beacon": beacon, "k": self.k}
        for name in ("entry_count", "ticket_total", "entry_digest"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.entries is not None:
            out["entries"] = [[uid, tickets] for uid, tickets in self.entries.pairs()] if entries else []
        if self.entries_url is not None:
            out["entries_url"] = self.entries_url
        if self.winners is not None:
            out["winners"] = list(self.winners)
        if self.seed is not None:
            out["seed"] = self.seed
        return out

    def to_json(self) -> str:
        """Indented JSON with one entry per line: a million-entry record stays diffable and greppable for "am I in
        it?" (`grep '^  \\[1042,'`). Any JSON writer's output parses the same; this layout is only for readers."""
        parts = []
        for name, value in self.to_dict(entries=False).items():
            if name == "entries" and self.entries:
                # Validated integers, formatted straight from the tuples by a C-level map: the same JSON as
                # json.dumps, ~10× faster than building a million lists first (1M entries: ~0.3 s).
                body = ",\n".join(map("  [{:d}, {:d}]".format, self.entries.user_ids, self.entries.tickets))
                text = f"[\n{body}\n ]"
            elif name == "winners":
                text = json.dumps(value)
            else:
                text = json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n ")
            parts.append(f" {json.dumps(name)}: {text}")
        return "{\n" + ",\n".join(parts) + "\n}\n"


# --- building a record, stage by stage -------------------------------------------------------------------------------

def announce(*, lottery: str, close_time: datetime, seed: bytes, beacon_source: str, beacon_round: str | int,
             k: int) -> DrawRecord:
    """The record published before entries open/close: the commitment to `seed` (which stays secret)."""
    if close_time.tzinfo is None:
        raise _bad("close_time must carry its time zone")
    Beacon.from_text(beacon_source, beacon_round, "-")  # validates source and round now, not at the draw
    if type(k) is not int or k < 1:
        raise LotteryError("LOTTERY_BAD_K", "k (the number of winners) must be an integer ≥ 1")
    return DrawRecord(lottery=lottery, close_time=close_time.isoformat(), commitment=commitment(seed),
                      beacon=BeaconSpec(beacon_source, str(beacon_round)), k=k)


def close(record: DrawRecord, entries: EntryList, *, entries_url: str | None = None) -> DrawRecord:
    """At close: the entry list and its digest. With `entries_url`, the entries are published there instead of
    inline (the digest still pins them)."""
    return DrawRecord(**{**_fields(record), "entry_count": len(entries), "ticket_total": entries.total_tickets,
                         "entry_digest": entry_digest(entries),
                         "entries": None if entries_url else entries, "entries_url": entries_url})


def complete(record: DrawRecord, entries: EntryList, seed: bytes, *, beacon_value: str,
             value_encoding: str = "hex") -> DrawRecord:
    """After the beacon round: draw, and publish the value used, the winners and the seed."""
    if record.entry_digest is None:
        raise _bad("close the lottery (publish the entry digest) before drawing")
    if commitment(seed) != record.commitment:
        raise LotteryError("LOTTERY_BAD_SEED", "this seed is not the committed one")
    if entry_digest(entries) != record.entry_digest:
        raise LotteryError("LOTTERY_BAD_ENTRIES", "these entries are not the ones closed")
    if value_encoding not in ENCODINGS:
        raise _bad(f"value_encoding must be one of {ENCODINGS}")
    spec = BeaconSpec(record.beacon.source, record.beacon.round, beacon_value, value_encoding)
    result = draw(seed, spec.beacon(), entries, record.k)
    return DrawRecord(**{**_fields(record), "beacon": spec, "winners": result.winners, "seed": seed.hex()})


def _fields(record: DrawRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


# --- reading a record ------------------------------------------------------------------------------------------------

def parse_entries(data: Any, where: str = "entries") -> EntryList:
    """A JSON array of [user id, tickets] pairs (inline in the record, or the whole file at entries_url)."""
    if not isinstance(data, list):
        raise _bad(f"{where} must be an array of [user_id, tickets] pairs")
    if data and set(map(type, data)) != {list}:  # in bulk (a million entries); canonical_entries checks the rest
        bad = next(pair for pair in data if type(pair) is not list)
        raise _bad(f"{where}: every entry is a [user_id, tickets] pair, got {bad!r}")
    return canonical_entries(data)


def parse(data: Any) -> DrawRecord:
    """Validate the shape of a public record (not its truth: that is `verify_record`). Unknown fields are refused,
    so a misspelt field cannot silently escape verification."""
    if not isinstance(data, dict):
        raise _bad("a draw record is a JSON object")
    if data.get("format") != FORMAT:
        raise _bad(f"format must be {FORMAT!r}, got {data.get('format')!r}")
    unknown = set(data) - FIELDS
    if unknown:
        raise _bad(f"unknown field(s): {', '.join(sorted(unknown))}")
    for name in ("lottery", "close_time", "commitment", "beacon", "k"):
        if name not in data:
            raise _bad(f"missing field {name!r}")
    if not isinstance(data["lottery"], str):
        raise _bad("lottery must be text")
    close_time = data["close_time"]
    try:
        parsed = datetime.fromisoformat(close_time) if isinstance(close_time, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _bad("close_time must be an ISO 8601 time with its offset, e.g. 2026-12-31T23:59:59+08:00")
    _hex64(data, "commitment")
    beacon = _beacon(data["beacon"])
    k = data["k"]
    if type(k) is not int or k < 1:
        raise _bad("k must be an integer ≥ 1")
    for name in ("entry_count", "ticket_total"):
        if name in data and (type(data[name]) is not int or data[name] < 0):
            raise _bad(f"{name} must be an integer ≥ 0")
    digest = _hex64(data, "entry_digest") if "entry_digest" in data else None
    if "entries" in data and "entries_url" in data:
        raise _bad("give entries inline or entries_url, not both")
    entries = parse_entries(data["entries"]) if "entries" in data else None
    url = data.get("entries_url")
    if url is not None and (not isinstance(url, str) or not url):
        raise _bad("entries_url must be text")
    winners = data.get("winners")
    if winners is not None and (not isinstance(winners, list) or any(type(w) is not int for w in winners)):
        raise _bad("winners must be an array of user ids")
    seed = _hex64(data, "seed") if "seed" in data else None
    if seed is not None and (digest is None or beacon.value is None or winners is None):
        raise _bad("a revealed seed comes with the entry digest, the beacon value and the winners")
    return DrawRecord(lottery=data["lottery"], close_time=close_time, commitment=data["commitment"], beacon=beacon,
                      k=k, entry_count=data.get("entry_count"), ticket_total=data.get("ticket_total"),
                      entry_digest=digest, entries=entries, entries_url=url,
                      winners=tuple(winners) if winners is not None else None, seed=seed)


def _hex64(data: dict[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise _bad(f"{name} must be 64 lowercase hexadecimal characters")
    return value


def _beacon(data: Any) -> BeaconSpec:
    if not isinstance(data, dict) or not {"source", "round"} <= set(data) or set(data) - BEACON_FIELDS:
        raise _bad("beacon is {source, round} and, once drawn, {value, value_encoding}")
    if not isinstance(data["source"], str) or not isinstance(data["round"], str):
        raise _bad("beacon source and round are text")
    value, encoding = data.get("value"), data.get("value_encoding")
    if (value is None) != (encoding is None):
        raise _bad("beacon value and value_encoding come together")
    if value is not None and (not isinstance(value, str) or encoding not in ENCODINGS):
        raise _bad(f"beacon value is text and value_encoding one of {ENCODINGS}")
    spec = BeaconSpec(data["source"], data["round"], value, encoding)
    if value is not None:
        spec.beacon()  # decodes and bounds-checks the value now
    else:
        Beacon.from_text(spec.source, spec.round, "-")
    return spec


# --- verifying a record ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    stage: str
    checks: tuple[Check, ...]
    notes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def complete(self) -> bool:
        return self.stage == "drawn" and any(c.name == "winners" for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "complete": self.complete, "stage": self.stage,
                "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
                "notes": list(self.notes)}


def verify_record(record: DrawRecord, entries: EntryList | None = None) -> Report:
    """Every check the record's stage allows, from the record alone (plus the entries, when the record links them
    rather than holding them). What cannot be checked here is said in `notes`: the beacon value against its source
    (that needs the source's own verification: for drand, its BLS signature) and the publication times."""
    entries = entries if entries is not None else record.entries
    checks: list[Check] = []
    notes: list[str] = []
    if record.entry_digest is not None and entries is None:
        notes.append("entries not available: fetch entries_url (or pass them) to check the entry digest")
    if entries is not None:
        for name, expected, actual in (("entry_count", record.entry_count, len(entries)),
                                       ("ticket_total", record.ticket_total, entries.total_tickets)):
            if expected is not None:
                checks.append(Check(name, expected == actual, f"{name} {actual}" if expected == actual else
                                    f"the entries have {name} {actual}, the record says {expected}"))
    if record.stage == "drawn":
        assert record.seed is not None and record.entry_digest is not None and record.winners is not None
        if entries is None:
            return Report(record.stage, tuple(checks), tuple(notes))
        seed = check_seed(bytes.fromhex(record.seed))
        checks += verify(commitment_hex=record.commitment, entries=entries, digest_hex=record.entry_digest,
                         beacon=record.beacon.beacon(), seed=seed, k=record.k, winners=record.winners)
        notes.append(f"beacon value not checked here: compare it with {record.beacon.source!r} round"
                     f" {record.beacon.round!r} as published by that source")
    else:
        if entries is not None and record.entry_digest is not None:
            digest = entry_digest(entries)
            ok = digest == record.entry_digest
            checks.append(Check("entry_digest", ok, "the entries hash to the published digest" if ok else
                                f"the entries hash to {digest}, the published digest is {record.entry_digest}"))
        notes.append(f"stage {record.stage}: the seed is not revealed yet, the winners cannot be checked")
    return Report(record.stage, tuple(checks), tuple(notes))
