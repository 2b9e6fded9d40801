"""The provably fair monthly lottery (issue 9): the draw (draw.py), its public record (record.py) and the verifier
command (`python -m shared.lottery verify <draw.json>`). Pure, standard library only; docs/LOTTERY.md is the spec."""

from shared.lottery.draw import (
    Beacon,
    Check,
    DrawResult,
    DrawStep,
    EntryList,
    LotteryError,
    canonical_entries,
    commitment,
    draw,
    entry_digest,
    new_seed,
    tally,
    verify,
)
from shared.lottery.record import DrawRecord, Report, announce, close, complete, parse, verify_record

__all__ = ["Beacon", "Check", "DrawRecord", "DrawResult", "DrawStep", "EntryList", "LotteryError", "Report",
           "announce", "canonical_entries", "close", "commitment", "complete", "draw", "entry_digest", "new_seed",
           "parse", "tally", "verify", "verify_record"]
