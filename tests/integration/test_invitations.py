"""Invitations through the API: a code and a share link per user, attribution by the invitee's claim, credit only
once the invitee has bound a phone AND completed the profile (in either order, delivered by the after-commit
subscribers), once; self-invitation, the same person behind two accounts, and rings are refused."""

from __future__ import annotations

from datetime import timedelta

from shared.jobs import work
from tests.support.api import call
from tests.support.db import execute, scalar

PROFILE = {"display_name": "新人", "headline": "前端工程师", "bio": "刚入行", "skills": ["vue"]}


def code_of(actor) -> str:
    r = call("GET", "/community/invitations/me", token=actor.token)
    assert r.status == 200, r.body
    return r["code"]


def claim(actor, code: str):
    return call("POST", "/community/invitations/claim", {"code": code}, actor.token)


def bind_phone(world, actor, phone: str) -> None:
    assert call("POST", "/auth/sms/send", {"phone": phone}).status == 200
    code = world.sms.last_code("+86" + phone)
    r = call("POST", "/auth/phone/sms", {"phone": phone, "code": code}, actor.token)
    assert r.status == 200, r.body


def credited() -> int:
    return scalar("SELECT count(*) FROM event_log WHERE name = 'InvitationCredited'")


def test_a_code_and_share_link_per_user(world):
    alice = world.developer("alice")
    me = call("GET", "/community/invitations/me", token=alice.token)
    assert me.status == 200 and len(me["code"]) == 8 and me["invited_count"] == 0 and me["invited_by"] is None
    assert me["share_path"] == f"pages/invite/index?code={me['code']}" and me["share_url"].endswith(me["code"])
    assert code_of(alice) == me["code"]  # stable
    # The share link's landing page: public, shows the inviter; lower case is accepted.
    r = call("GET", f"/community/invitations/codes/{me['code'].lower()}")
    assert r.status == 200 and r["inviter_name"] == "alice"
    assert call("GET", "/community/invitations/codes/ZZZZZZZZ").status == 404


def test_credit_only_after_phone_and_profile(world, clock):
    inviter = world.developer("alice")
    code = code_of(inviter)
    clock.advance(timedelta(minutes=5))
    invitee = world.login_wechat("newbie")  # no phone, no profile yet
    r = claim(invitee, code)
    assert r.status == 201 and r["status"] == "pending" and r["inviter_id"] == inviter.user_id, r.body
    # Profile first: not enough.
    assert call("PUT", "/profiles/developer", PROFILE, invitee.token).status == 200
    work()
    assert credited() == 0
    assert call("GET", "/community/invitations/me", token=inviter.token)["invitees"][0]["profile_completed"]
    # Then the phone: credited, once, and the inviter is told.
    bind_phone(world, invitee, "13700000001")
    work()
    work()
    assert credited() == 1
    me = call("GET", "/community/invitations/me", token=inviter.token)
    assert me["credited_count"] == 1 and me["invitees"][0]["status"] == "credited"
    assert scalar("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'invitation_credited'",
                  u=inviter.user_id) == 1
    assert call("GET", "/community/invitations/me", token=invitee.token)["invited_by"] == inviter.user_id
    # Completing or binding again credits nothing more.
    assert call("PUT", "/profiles/developer", {**PROFILE, "bio": "改了简介"}, invitee.token).status == 200
    work()
    assert credited() == 1


def test_a_claim_after_phone_and_profile_credits_at_once(world, clock):
    inviter = world.developer("alice")
    code = code_of(inviter)
    clock.advance(timedelta(minutes=1))
    invitee = world.login_sms("13700000002")  # has a phone
    assert call("PUT", "/profiles/developer", PROFILE, invitee.token).status == 200
    work()
    r = claim(invitee, code)
    assert r.status == 201 and r["status"] == "credited", r.body
    assert credited() == 1


def test_self_invitation_and_a_second_claim_are_refused(world, clock):
    alice = world.developer("alice")
    r = claim(alice, code_of(alice))
    assert r.status == 409 and r["code"] == "SELF_INVITATION"
    bob = world.developer("bob")
    clock.advance(timedelta(minutes=1))
    carol = world.login_wechat("carol")
    assert claim(carol, code_of(alice)).status == 201
    r = claim(carol, code_of(bob))
    assert r.status == 409 and r["code"] == "ALREADY_INVITED"
    assert claim(carol, "ABCDEFGH").status == 404


def test_the_same_person_behind_two_accounts_is_refused(world, clock):
    alice = world.developer("alice")
    clock.advance(timedelta(minutes=1))
    alt = world.login_wechat("alice-alt")
    execute("UPDATE users SET unionid = 'u-alice' WHERE id IN (:a, :b)", a=alice.user_id, b=alt.user_id)
    r = claim(alt, code_of(alice))
    assert r.status == 409 and r["code"] == "SELF_INVITATION", r.body
    assert scalar("SELECT count(*) FROM invitations") == 0


def test_rings_are_refused(world, clock):
    a = world.developer("a")
    clock.advance(timedelta(minutes=1))
    b = world.developer("b")
    clock.advance(timedelta(minutes=1))
    c = world.developer("c")
    assert claim(b, code_of(a)).status == 201  # A invites B
    assert claim(c, code_of(b)).status == 201  # B invites C
    # A was registered first, but even within the window: A claiming B's or C's code closes a ring.
    for code in (code_of(b), code_of(c)):
        r = claim(a, code)
        assert r.status == 409 and r["code"] == "INVITATION_RING", r.body
    assert scalar("SELECT count(*) FROM invitations") == 2


def test_claim_window_and_older_accounts(world, clock):
    old = world.developer("old")
    clock.advance(timedelta(minutes=1))
    inviter = world.developer("inviter")
    code = code_of(inviter)
    r = claim(old, code)
    assert r.status == 409 and r["code"] == "INVITEE_NOT_NEW"
    late = world.login_wechat("late")
    clock.advance(timedelta(days=7, seconds=1))
    world.renew(late)
    r = claim(late, code)
    assert r.status == 409 and r["code"] == "INVITATION_CLAIM_EXPIRED"


def test_crossing_claims_at_the_same_moment_cannot_both_pass(world):
    """A and B registered at the same instant claim each other's codes concurrently: one claim is recorded, the other
    would close a ring and is refused (claims are serialised by an advisory lock; checked: without the lock both
    claims pass and form a ring)."""
    from concurrent.futures import ThreadPoolExecutor

    for round_ in range(3):
        a, b = world.developer(f"a{round_}"), world.developer(f"b{round_}")
        pairs = [(a, code_of(b)), (b, code_of(a))]
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda pair: claim(*pair), pairs))
        assert sorted(r.status for r in answers) == [201, 409], [r.body for r in answers]
        assert [r["code"] for r in answers if r.status == 409] == ["INVITATION_RING"]
    assert scalar("SELECT count(*) FROM invitations") == 3
