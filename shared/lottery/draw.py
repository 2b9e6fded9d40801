"""The provably fair monthly lottery: commitment, canonical entry list, beacon, draw and verification.

Pure and standard-library only (hashlib, hmac, secrets, array): anyone can copy this file, or reimplement it from
docs/LOTTERY.md, and recompute a past draw from its public record. Every byte layout below is specified there; the
two must change together (and a change is a new version tag, never an edit of v1).

The protocol, in order of time:
1. announce — publish `commitment(seed)` (SHA-256 of a secret 32-byte seed), the close time, k, and the beacon that
   will be used: a source and a round whose value nobody can know before the close (a future drand round …);
2. close — freeze the entries, publish the canonical entry list and its `entry_digest`;
3. draw — once the beacon round is out: key = HMAC-SHA256(seed, framed(tag, source, round, value, digest)), a
   counter-mode HMAC-SHA256 stream, unbiased integers by rejection sampling, Fisher–Yates strike-out over the ticket
   slots (a winner's other tickets are struck with it, so winners are distinct users);
4. reveal — publish the seed; `verify` recomputes everything from public data.

The platform cannot steer the result (its seed is fixed before the beacon exists and before the entries close), the
entrants cannot predict it (they never see the seed before the draw), and the beacon alone decides nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, pairwise
from operator import eq, itemgetter

# Version tags: framed into the bytes they domain-separate (docs/LOTTERY.md §2). A new algorithm gets a new tag.
KEY_TAG = b"codelink-lottery/v1"
ENTRIES_TAG = b"codelink-lottery-entries/v1"

SEED_BYTES = 32
U64_MAX = 2**64 - 1
MAX_LABEL_BYTES = 256  # beacon source and round
MAX_BEACON_VALUE_BYTES = 1024


class LotteryError(ValueError):
    """Bad lottery input. `code` is stable (callers map it to their own error family); the message says what."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


# --- framing ---------------------------------------------------------------------------------------------------------

def u32be(n: int) -> bytes:
    return n.to_bytes(4, "big")


def u64be(n: int) -> bytes:
    return n.to_bytes(8, "big")


def frame(data: bytes) -> bytes:
    """Length-prefixed bytes (u32 big-endian length, then the bytes): concatenating framed fields is unambiguous —
    ("ab", "c") and ("a", "bc") give different bytes, which a plain ‖ would not."""
    if len(data) > 0xFFFFFFFF:
        raise LotteryError("LOTTERY_FIELD_TOO_LONG", "field longer than 2^32-1 bytes")
    return u32be(len(data)) + data


# --- 1. the commitment -----------------------------------------------------------------------------------------------

def new_seed() -> bytes:
    """A fresh secret seed from the operating system's CSPRNG. Keep it secret until the draw is published."""
    return secrets.token_bytes(SEED_BYTES)


def check_seed(seed: bytes) -> bytes:
    if not isinstance(seed, bytes | bytearray) or len(seed) != SEED_BYTES:
        raise LotteryError("LOTTERY_BAD_SEED", f"the seed must be exactly {SEED_BYTES} bytes")
    return bytes(seed)


def commitment(seed: bytes) -> str:
    """What is published before entries close: lowercase hex of SHA-256(seed). The seed is 32 random bytes, so the
    commitment cannot be inverted, and SHA-256 is collision resistant, so no second seed fits it."""
    return hashlib.sha256(check_seed(seed)).hexdigest()


# --- 2. the canonical entry list -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EntryList:
    """Entries in canonical order: user ids strictly ascending, each with tickets ≥ 1 — build it with
    `canonical_entries` or `tally`, which guarantee that. Parallel tuples rather than one object per entry: a monthly
    lottery may hold a million entries."""

    user_ids: tuple[int, ...]
    tickets: tuple[int, ...]
    total_tickets: int

    def __len__(self) -> int:
        return len(self.user_ids)

    def pairs(self) -> list[tuple[int, int]]:
        return list(zip(self.user_ids, self.tickets, strict=True))


def _check_u64(value: object, what: str, minimum: int) -> int:
    if type(value) is not int or not minimum <= value <= U64_MAX:
        raise LotteryError("LOTTERY_BAD_ENTRIES", f"{what} must be an integer in [{minimum}, 2^64-1], got {value!r}")
    return value


def canonical_entries(pairs: Iterable[tuple[int, int]] | Iterable[Sequence[int]]) -> EntryList:
    """The canonical entry list from (user id, tickets) pairs in any order. Refuses a user listed twice (a tally
    belongs upstream, see `tally`; here a repeat would mean two sources disagree), tickets < 1, and anything that is
    not an integer in [0, 2^64-1].

    Checked in bulk with C-level map/min/max and sorted on the user id alone (an int key, not tuple comparison): a
    million entries take ~0.5 s instead of ~2 s. When a bulk check fails, a plain loop finds the culprit to name."""
    rows = list(pairs)
    if rows and not (set(map(type, rows)) <= {tuple, list} and set(map(len, rows)) == {2}):
        bad = next(p for p in rows if type(p) not in (tuple, list) or len(p) != 2)
        raise LotteryError("LOTTERY_BAD_ENTRIES", f"an entry is a (user id, tickets) pair, got {bad!r}")
    uids = list(map(itemgetter(0), rows))
    counts = list(map(itemgetter(1), rows))
    # type() is exactly int: bool is an int subclass, and True tickets is a bug upstream, not one ticket.
    if rows and not (set(map(type, uids)) == {int} and set(map(type, counts)) == {int}
                     and min(uids) >= 0 and max(uids) <= U64_MAX and min(counts) >= 1 and max(counts) <= U64_MAX):
        for uid, count in rows:
            _check_u64(uid, "user id", 0)
            _check_u64(count, "tickets", 1)
    rows.sort(key=itemgetter(0))
    user_ids = tuple(map(itemgetter(0), rows))
    tickets = tuple(map(itemgetter(1), rows))
    if any(map(eq, user_ids, user_ids[1:])):
        twice = next(a for a, b in pairwise(user_ids) if a == b)
        raise LotteryError("LOTTERY_DUPLICATE_USER", f"user {twice} is listed twice")
    return EntryList(user_ids, tickets, sum(tickets))


def tally(user_ids: Iterable[int]) -> EntryList:
    """One ticket per occurrence (e.g. one row per entry a challenge granted), summed per user."""
    counts: dict[int, int] = {}
    for uid in user_ids:
        counts[uid] = counts.get(uid, 0) + 1
    return canonical_entries(counts.items())


def encode_entries(entries: EntryList) -> bytes:
    """The canonical bytes: frame(ENTRIES_TAG) ‖ u64be(N) ‖ N × (u64be(user id) ‖ u64be(tickets)), ascending user id.
    16 bytes per entry: a million entries is 16 MB, packed by `array` in C rather than 2 million `to_bytes` calls."""
    body = array("Q", chain.from_iterable(zip(entries.user_ids, entries.tickets, strict=True)))
    if body.itemsize != 8:  # pragma: no cover - every CPython platform we know has an 8-byte unsigned long long
        packed = b"".join(u64be(x) for x in body)
    else:
        if sys.byteorder == "little":
            body.byteswap()
        packed = body.tobytes()
    return frame(ENTRIES_TAG) + u64be(len(entries)) + packed


def entry_digest(entries: EntryList) -> str:
    """Published at close: lowercase hex of SHA-256 of the canonical bytes."""
    return hashlib.sha256(encode_entries(entries)).hexdigest()


# --- 3. the beacon ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Beacon:
    """Public randomness nobody knows before the close. `source` names the beacon (e.g. "drand:quicknet:<chain hash>"
    or "福利彩票双色球"), `round` which of its outputs (a drand round number, a lottery issue "2026138"): both are
    published with the commitment. `value` is the output's bytes, known only after the round (for drand: the 32 bytes
    of `randomness`; for a lottery result: the UTF-8 of its published text). Pluggable: any source that publishes a
    value at a time fixed in advance and that nobody controls will do."""

    source: str
    round: str
    value: bytes

    def __post_init__(self) -> None:
        for name, label in (("source", self.source), ("round", self.round)):
            if not isinstance(label, str) or not 1 <= len(label.encode("utf-8")) <= MAX_LABEL_BYTES:
                raise LotteryError("LOTTERY_BAD_BEACON",
                                   f"beacon {name} must be text of 1 to {MAX_LABEL_BYTES} UTF-8 bytes")
        if not isinstance(self.value, bytes) or not 1 <= len(self.value) <= MAX_BEACON_VALUE_BYTES:
            raise LotteryError("LOTTERY_BAD_BEACON",
                               f"beacon value must be 1 to {MAX_BEACON_VALUE_BYTES} bytes")

    @classmethod
    def from_hex(cls, source: str, round: str | int, value_hex: str) -> Beacon:
        try:
            value = bytes.fromhex(value_hex)
        except (TypeError, ValueError):
            raise LotteryError("LOTTERY_BAD_BEACON", "beacon value is not hexadecimal") from None
        return cls(source, _round_text(round), value)

    @classmethod
    def from_text(cls, source: str, round: str | int, value_text: str) -> Beacon:
        return cls(source, _round_text(round), value_text.encode("utf-8"))


def _round_text(round: str | int) -> str:
    # A drand round is a number; recorded as its decimal text so every source's round is the same type.
    if isinstance(round, int) and not isinstance(round, bool):
        return str(round)
    if isinstance(round, str):
        return round
    raise LotteryError("LOTTERY_BAD_BEACON", "beacon round must be text or an integer")


# --- 4. the draw -----------------------------------------------------------------------------------------------------

def draw_key(seed: bytes, beacon: Beacon, digest_hex: str) -> bytes:
    """K = HMAC-SHA256(key = seed, msg = frame(KEY_TAG) ‖ frame(source) ‖ frame(round) ‖ frame(value) ‖
    frame(entry digest, 32 raw bytes)). The seed is the HMAC key, so without it K is unpredictable even to someone
    who knows the beacon and the entries; the beacon and the digest in the message bind K to this close."""
    digest = _digest_bytes(digest_hex)
    message = (frame(KEY_TAG) + frame(beacon.source.encode("utf-8")) + frame(beacon.round.encode("utf-8"))
               + frame(beacon.value) + frame(digest))
    return hmac.digest(check_seed(seed), message, "sha256")


def _digest_bytes(digest_hex: str) -> bytes:
    try:
        digest = bytes.fromhex(digest_hex)
    except (TypeError, ValueError):
        digest = b""
    if len(digest) != 32 or digest_hex != digest.hex():
        raise LotteryError("LOTTERY_BAD_DIGEST", "an entry digest is 64 lowercase hexadecimal characters")
    return digest


class Drbg:
    """Counter-mode HMAC-SHA256 stream: block i = HMAC-SHA256(K, u64be(i)) for i = 0, 1, 2 …; the stream is the
    blocks concatenated, read front to back, each read taking the next unread bytes (a read may span two blocks)."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._counter = 0
        self._buffer = b""
        self.consumed = 0  # bytes read so far: the worked example and the tests show it

    def read(self, n: int) -> bytes:
        while len(self._buffer) < n:
            self._buffer += hmac.digest(self._key, u64be(self._counter), "sha256")
            self._counter += 1
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        self.consumed += n
        return out


def uniform(drbg: Drbg, n: int) -> int:
    """An integer uniform in [0, n) by rejection sampling: L = ceil(bitlength(n-1) / 8) bytes as a big-endian x;
    accept when x < 256^L - (256^L mod n) (the largest multiple of n that fits) and return x mod n, else read again.
    Every residue then has exactly (256^L - r) / n preimages — no modulo bias. A rejection happens with probability
    below 1/2, so the expected number of reads is below 2. n = 1 reads nothing (L = 0) and returns 0."""
    if n < 1:
        raise LotteryError("LOTTERY_BAD_RANGE", "uniform needs n ≥ 1")
    size = ((n - 1).bit_length() + 7) // 8
    space = 1 << (8 * size)
    limit = space - space % n
    while True:
        x = int.from_bytes(drbg.read(size), "big")
        if x < limit:
            return x % n


@dataclass(frozen=True)
class DrawStep:
    rank: int  # 1-based
    remaining: int  # tickets still in the drum before this step
    position: int  # the uniform integer in [0, remaining): the struck slot, counted over the remaining tickets
    user_id: int
    tickets: int  # the winner's tickets (all struck at once)


@dataclass(frozen=True)
class DrawResult:
    key: bytes
    winners: tuple[int, ...]
    steps: tuple[DrawStep, ...] = field(repr=False)
    bytes_consumed: int = 0


class _Fenwick:
    """Ticket counts per entry with O(log n) 'which entry holds remaining slot p' and O(log n) removal: a draw over
    a million entries costs log2(10^6) ≈ 20 steps per winner instead of a scan."""

    def __init__(self, counts: Sequence[int]) -> None:
        n = len(counts)
        tree = [0, *counts]
        for i in range(1, n + 1):  # linear-time build: push each node's sum to its parent
            parent = i + (i & -i)
            if parent <= n:
                tree[parent] += tree[i]
        self._tree = tree
        self._n = n
        self._top = 1 << (n.bit_length() - 1) if n else 0

    def find(self, position: int) -> int:
        """The 0-based index of the entry whose tickets cover `position` (0 ≤ position < remaining total)."""
        index, rest, step, tree = 0, position, self._top, self._tree
        while step:
            nxt = index + step
            if nxt <= self._n and tree[nxt] <= rest:
                index = nxt
                rest -= tree[nxt]
            step >>= 1
        return index

    def remove(self, index: int, count: int) -> None:
        i = index + 1
        while i <= self._n:
            self._tree[i] -= count
            i += i & -i


def draw(seed: bytes, beacon: Beacon, entries: EntryList, k: int) -> DrawResult:
    """Draw min(k, number of users) distinct winners, in rank order.

    Fisher–Yates in its original strike-out form, over ticket slots: the slots are the tickets laid out in canonical
    order (user ids ascending, each user's tickets together). Step s draws p = uniform(remaining tickets), strikes
    the slot at position p counted over the slots not yet struck, and its owner wins rank s; all that owner's other
    tickets are struck with it, so a user wins at most once. Each step therefore picks a remaining user with
    probability tickets / remaining tickets. Striking the whole user (rather than skipping a repeat and drawing
    again) gives the same odds with exactly one draw per winner, however lopsided the tickets are: one user with
    2^60 tickets and another with 1 still takes two draws. When k ≥ the number of users, every user wins and the
    draw only decides their ranks. The winners for k are the first k winners for any larger k."""
    if type(k) is not int or k < 1:
        raise LotteryError("LOTTERY_BAD_K", "k (the number of winners) must be an integer ≥ 1")
    key = draw_key(seed, beacon, entry_digest(entries))
    drbg = Drbg(key)
    tree = _Fenwick(entries.tickets)
    remaining = entries.total_tickets
    steps: list[DrawStep] = []
    for rank in range(1, min(k, len(entries)) + 1):
        position = uniform(drbg, remaining)
        index = tree.find(position)
        tickets = entries.tickets[index]
        tree.remove(index, tickets)
        remaining -= tickets
        steps.append(DrawStep(rank, remaining + tickets, position, entries.user_ids[index], tickets))
    return DrawResult(key, tuple(s.user_id for s in steps), tuple(steps), drbg.consumed)


# --- 5. verification -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def verify(*, commitment_hex: str, entries: EntryList, digest_hex: str, beacon: Beacon, seed: bytes, k: int,
           winners: Sequence[int]) -> list[Check]:
    """Recompute a draw from its public data alone and compare with what was published. Every check is reported
    (not only the first failure), so a reader sees exactly what disagrees."""
    checks: list[Check] = []
    seed_ok = hashlib.sha256(check_seed(seed)).hexdigest() == commitment_hex
    checks.append(Check("commitment", seed_ok, "SHA-256(seed) equals the published commitment" if seed_ok else
                        f"SHA-256(seed) = {hashlib.sha256(seed).hexdigest()} but the commitment is {commitment_hex}"))
    actual_digest = entry_digest(entries)
    digest_ok = actual_digest == digest_hex
    checks.append(Check("entry_digest", digest_ok,
                        f"the {len(entries)} entries ({entries.total_tickets} tickets) hash to the published digest"
                        if digest_ok else f"the entries hash to {actual_digest}, the published digest is {digest_hex}"))
    # Recomputed from the entries as given: if they are not the entries of the close, the digest check above says so.
    result = draw(seed, beacon, entries, k)
    expected = list(result.winners)
    winners_ok = expected == list(winners)
    checks.append(Check("winners", winners_ok, f"recomputed winners {expected} match" if winners_ok else
                        f"recomputed winners {expected} differ from the published {list(winners)}"))
    return checks
