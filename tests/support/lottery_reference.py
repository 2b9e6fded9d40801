"""An independent implementation of the lottery draw, written from docs/LOTTERY.md §5–§6 and sharing no code with
shared/lottery: struct instead of int.to_bytes/array, hmac.new instead of hmac.digest, a bytearray stream indexed by
position, L found by a loop and x assembled byte by byte, the limit as (256^L // n) * n, the winners found by walking
and popping a plain list — plus, for small inputs, a literal strike-out over a materialised list of ticket slots.
tests/unit/test_lottery.py compares shared/lottery with it; tests/integration/test_lottery_draws.py recomputes stored
draws with it."""

from __future__ import annotations

import hashlib
import hmac
import struct


def ref_frame(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def ref_entry_bytes(entries: list[tuple[int, int]]) -> bytes:
    rows = sorted(entries)
    return (ref_frame(b"codelink-lottery-entries/v1") + struct.pack(">Q", len(rows))
            + b"".join(struct.pack(">QQ", uid, tickets) for uid, tickets in rows))


def ref_key(seed: bytes, source: str, round_: str, value: bytes, entries: list[tuple[int, int]]) -> bytes:
    digest = hashlib.sha256(ref_entry_bytes(entries)).digest()
    message = b"".join(ref_frame(part) for part in (b"codelink-lottery/v1", source.encode(), round_.encode(), value,
                                                     digest))
    return hmac.new(seed, message, hashlib.sha256).digest()


class RefStream:
    def __init__(self, key: bytes) -> None:
        self.key, self.data, self.pos = key, bytearray(), 0

    def take(self, n: int) -> bytes:
        while len(self.data) < self.pos + n:
            self.data += hmac.new(self.key, struct.pack(">Q", len(self.data) // 32), hashlib.sha256).digest()
        out = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return out


def ref_uniform(stream: RefStream, n: int) -> int:
    size = 0
    while 256**size < n:
        size += 1
    accept_below = (256**size // n) * n
    while True:
        x = 0
        for byte in stream.take(size):
            x = x * 256 + byte
        if x < accept_below:
            return x % n


def ref_draw(seed: bytes, source: str, round_: str, value: bytes, entries: list[tuple[int, int]],
             k: int) -> tuple[list[int], list[int], int]:
    """(winners, positions, bytes read)."""
    stream = RefStream(ref_key(seed, source, round_, value, entries))
    pool = [list(row) for row in sorted(entries)]
    winners: list[int] = []
    positions: list[int] = []
    while pool and len(winners) < k:
        p = ref_uniform(stream, sum(tickets for _, tickets in pool))
        positions.append(p)
        i = 0
        while p >= pool[i][1]:
            p -= pool[i][1]
            i += 1
        winners.append(pool.pop(i)[0])
    return winners, positions, stream.pos


def literal_draw(seed: bytes, source: str, round_: str, value: bytes, entries: list[tuple[int, int]],
                 k: int) -> list[int]:
    """§6.4 word for word: lay out every ticket slot, strike the p-th, strike the winner's other slots."""
    stream = RefStream(ref_key(seed, source, round_, value, entries))
    slots = [uid for uid, tickets in sorted(entries) for _ in range(tickets)]
    winners: list[int] = []
    while slots and len(winners) < k:
        winner = slots[ref_uniform(stream, len(slots))]
        winners.append(winner)
        slots = [s for s in slots if s != winner]
    return winners
