"""Pure invitation rules: codes, who may not invite whom (self, same person, rings), the claim window, and when an
invitation is credited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
CODE_LENGTH = 8
CLAIM_WINDOW = timedelta(days=7)  # a code can be named within 7 days of registering
MAX_CHAIN = 1000  # a chain of inviters longer than this is not walked further (and is refused as a ring)


def make_code(random_bytes: bytes) -> str:
    """A code from CODE_LENGTH random bytes (each byte picks one of 32 letters: uniform, since 256 % 32 == 0)."""
    if len(random_bytes) != CODE_LENGTH:
        raise ValueError(f"need {CODE_LENGTH} random bytes")
    return "".join(ALPHABET[b % len(ALPHABET)] for b in random_bytes)


def normalize_code(code: str) -> str:
    return code.strip().upper()


def is_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(c in ALPHABET for c in code)


@dataclass(frozen=True)
class Person:
    user_id: int
    phone: str | None
    unionid: str | None
    registered_at: datetime


def same_person(a: Person, b: Person) -> bool:
    """One person behind two accounts: the same user, or the same phone or WeChat unionid."""
    return (a.user_id == b.user_id or (a.phone is not None and a.phone == b.phone)
            or (a.unionid is not None and a.unionid == b.unionid))


def inviters_of(parents: Mapping[int, int], user_id: int) -> list[int]:
    """The chain of inviters above `user_id` (who invited them, who invited that one, …), stopping at a repeat or
    after MAX_CHAIN steps."""
    chain: list[int] = []
    current = parents.get(user_id)
    while current is not None and current not in chain and len(chain) < MAX_CHAIN:
        chain.append(current)
        current = parents.get(current)
    return chain


def closes_ring(inviter_chain: list[int], inviter_id: int, invitee_id: int) -> bool:
    """Attributing `invitee` to `inviter` would close a ring: the invitee is the inviter or one of the inviter's own
    inviters (A invites B, B invites A; or longer). A chain at MAX_CHAIN is refused too."""
    return invitee_id == inviter_id or invitee_id in inviter_chain or len(inviter_chain) >= MAX_CHAIN


def refusal(inviter: Person, invitee: Person, inviter_chain: list[int], now: datetime) -> str | None:
    """Why this claim is refused (an error code), or None when it may be recorded."""
    if same_person(inviter, invitee):
        return "SELF_INVITATION"
    if closes_ring(inviter_chain, inviter.user_id, invitee.user_id):
        return "INVITATION_RING"
    if now - invitee.registered_at > CLAIM_WINDOW:
        return "INVITATION_CLAIM_EXPIRED"
    if invitee.registered_at < inviter.registered_at:
        return "INVITEE_NOT_NEW"  # an account older than the inviter's was not brought by them
    return None


def credit_due(status: str, phone_bound: bool, profile_completed: bool) -> bool:
    """A pending invitation is credited once the invitee has bound a phone and completed the profile, in any order."""
    return status == "pending" and phone_bound and profile_completed
