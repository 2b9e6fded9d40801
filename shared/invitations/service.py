"""Invitation use cases: my code and share link, the invitee's claim, and the credit.

UserRegistered carries no code (`user_id`, `via`), so attribution is the invitee's explicit claim right after
registration (`POST /community/invitations/claim`, within rules.CLAIM_WINDOW). A claim is refused for the same person
(same user, phone or unionid), for a ring (the invitee already invited the inviter, directly or through others) and
for an account older than the inviter's. Claims are serialised by one advisory lock, so two people claiming each
other's codes at the same moment cannot both succeed and form a ring.

Credit: once the invitee has bound a phone (PhoneBound) and completed the resume card (ProfileCompleted) — in any
order, before or after the claim — the invitation is credited once (InvitationCredited, which the challenge engine
counts) and the inviter is told. At that moment the same-person check runs again with the phone now known.
"""

from __future__ import annotations

import secrets
from typing import Any

from shared.config import get_settings
from shared.events import InvitationClaimed, InvitationCredited
from shared.invitations import rules, texts
from shared.invitations import schemas as s
from shared.invitations.errors import (
    AlreadyInvited,
    ClaimExpired,
    InvitationCodeNotFound,
    InvitationRing,
    InviteeNotNew,
    SelfInvitation,
)
from shared.profiles.cards import is_complete
from shared.profiles.models import DeveloperProfile
from shared.uow import UnitOfWork

_CLAIM_LOCK = 7362051  # pg_advisory_xact_lock key: one claim at a time (rings are a property of the whole graph)
_NAME = ("coalesce(nullif(dp.display_name, ''), nullif(u.nickname, ''), '用户' || u.id::text)")


def _name(uow: UnitOfWork, user_id: int) -> str:
    return str(uow.execute(f"SELECT {_NAME} FROM users u LEFT JOIN developer_profiles dp ON dp.user_id = u.id"
                           " WHERE u.id = :u", {"u": user_id}).scalar_one())


def ensure_code(uow: UnitOfWork, user_id: int) -> str:
    """The user's code, made on first use (a random 8-letter code; a collision just draws again)."""
    for _ in range(10):
        found = uow.execute("SELECT code FROM invitation_codes WHERE user_id = :u", {"u": user_id}).scalar()
        if found:
            return str(found)
        uow.execute("INSERT INTO invitation_codes (user_id, code, created_at) VALUES (:u, :c, :now)"
                    " ON CONFLICT DO NOTHING",
                    {"u": user_id, "c": rules.make_code(secrets.token_bytes(rules.CODE_LENGTH)), "now": uow.now})
    raise RuntimeError("could not draw a free invitation code")  # 32^8 codes: never in practice


def my_invitation(uow: UnitOfWork, user_id: int) -> s.MyInvitationOut:
    code = ensure_code(uow, user_id)
    base = get_settings().public_base_url.rstrip("/")
    counts = uow.execute("SELECT count(*) AS invited, count(*) FILTER (WHERE status = 'credited') AS credited"
                         " FROM invitations WHERE inviter_id = :u", {"u": user_id}).one()
    invitees = uow.execute(
        f"SELECT i.*, {_NAME} AS name FROM invitations i JOIN users u ON u.id = i.invitee_id"
        " LEFT JOIN developer_profiles dp ON dp.user_id = i.invitee_id WHERE i.inviter_id = :u"
        " ORDER BY i.id DESC LIMIT 50", {"u": user_id}).all()
    invited_by = uow.execute("SELECT inviter_id FROM invitations WHERE invitee_id = :u", {"u": user_id}).scalar()
    return s.MyInvitationOut(
        code=code, share_path=f"pages/invite/index?code={code}",
        share_url=f"{base}/community/invitations/codes/{code}", invited_count=int(counts.invited),
        credited_count=int(counts.credited), invited_by=invited_by,
        invitees=[s.InviteeOut(invitation_id=r.id, invitee_name=r.name, status=r.status, phone_bound=r.phone_bound,
                               profile_completed=r.profile_completed, created_at=r.created_at) for r in invitees])


def _owner(uow: UnitOfWork, code: str) -> int:
    code = rules.normalize_code(code)
    owner = uow.execute("SELECT user_id FROM invitation_codes WHERE code = :c", {"c": code}).scalar() \
        if rules.is_code(code) else None
    if owner is None:
        raise InvitationCodeNotFound()
    return int(owner)


def code_info(uow: UnitOfWork, code: str) -> s.CodeOut:
    """What a share link's landing page shows: whose code it is (public)."""
    owner = _owner(uow, code)
    return s.CodeOut(code=rules.normalize_code(code), inviter_name=_name(uow, owner))


def _person(uow: UnitOfWork, user_id: int) -> rules.Person:
    row = uow.execute("SELECT id, phone, unionid, created_at FROM users WHERE id = :u", {"u": user_id}).one()
    return rules.Person(row.id, row.phone, row.unionid, row.created_at)


def _inviter_chain(uow: UnitOfWork, user_id: int) -> list[int]:
    parents = {r.invitee_id: r.inviter_id for r in uow.execute(
        "WITH RECURSIVE up(invitee_id, inviter_id, depth) AS ("
        "  SELECT invitee_id, inviter_id, 1 FROM invitations WHERE invitee_id = :u"
        "  UNION SELECT i.invitee_id, i.inviter_id, up.depth + 1 FROM invitations i"
        "  JOIN up ON i.invitee_id = up.inviter_id WHERE up.depth < :max)"
        " SELECT invitee_id, inviter_id FROM up", {"u": user_id, "max": rules.MAX_CHAIN}).all()}
    return rules.inviters_of(parents, user_id)


def claim(uow: UnitOfWork, user_id: int, code: str) -> s.ClaimOut:
    uow.execute("SELECT pg_advisory_xact_lock(:k)", {"k": _CLAIM_LOCK})
    inviter_id = _owner(uow, code)
    if uow.execute("SELECT 1 FROM invitations WHERE invitee_id = :u", {"u": user_id}).first():
        raise AlreadyInvited()
    inviter, invitee = _person(uow, inviter_id), _person(uow, user_id)
    refused = rules.refusal(inviter, invitee, _inviter_chain(uow, inviter_id), uow.now)
    if refused == "SELF_INVITATION":
        raise SelfInvitation()
    if refused == "INVITATION_RING":
        raise InvitationRing()
    if refused == "INVITATION_CLAIM_EXPIRED":
        raise ClaimExpired()
    if refused == "INVITEE_NOT_NEW":
        raise InviteeNotNew()
    profile = uow.session.get(DeveloperProfile, user_id)
    invitation_id = int(uow.execute(
        "INSERT INTO invitations (inviter_id, invitee_id, code, phone_bound, profile_completed, created_at)"
        " VALUES (:a, :b, :c, :phone, :profile, :now) RETURNING id",
        {"a": inviter_id, "b": user_id, "c": rules.normalize_code(code), "phone": invitee.phone is not None,
         "profile": profile is not None and is_complete(profile), "now": uow.now}).scalar_one())
    uow.publish(InvitationClaimed(invitation_id=invitation_id, inviter_id=inviter_id, invitee_id=user_id))
    status = credit_if_due(uow, invitation_id)
    return s.ClaimOut(invitation_id=invitation_id, inviter_id=inviter_id, status=status)


def credit_if_due(uow: UnitOfWork, invitation_id: int) -> str:
    """Credit a pending invitation whose invitee has bound a phone and completed the profile (once: the row lock
    and the status decide); refuse it if inviter and invitee turn out to be the same person. Returns the status."""
    row: Any = uow.execute("SELECT * FROM invitations WHERE id = :i FOR UPDATE", {"i": invitation_id}).one()
    if not rules.credit_due(row.status, row.phone_bound, row.profile_completed):
        return str(row.status)
    if rules.same_person(_person(uow, row.inviter_id), _person(uow, row.invitee_id)):
        uow.execute("UPDATE invitations SET status = 'refused', refused_reason = 'same_person' WHERE id = :i",
                    {"i": invitation_id})
        return "refused"
    uow.execute("UPDATE invitations SET status = 'credited', credited_at = :now WHERE id = :i",
                {"now": uow.now, "i": invitation_id})
    uow.publish(InvitationCredited(invitation_id=invitation_id, inviter_id=row.inviter_id,
                                   invitee_id=row.invitee_id))
    uow.notify(row.inviter_id, *texts.CREDITED.render(name=_name(uow, row.invitee_id)),
               data={"invitation_id": invitation_id}, dedupe_key=f"invitation_credited:{invitation_id}", push=False)
    return "credited"


def mark(uow: UnitOfWork, invitee_id: int, column: str) -> None:
    """The invitee bound a phone (`phone_bound`) or completed the profile (`profile_completed`): note it on their
    invitation, if any, and credit when both are there."""
    assert column in ("phone_bound", "profile_completed")
    row = uow.execute(f"UPDATE invitations SET {column} = true WHERE invitee_id = :u RETURNING id",
                      {"u": invitee_id}).first()
    if row is not None:
        credit_if_due(uow, int(row.id))
