"""Mentor challenge use cases.

    operator flags a developer as mentor + approves their real-name record  →  an active mentor
    operator publishes a challenge (mentor, brief, bonus from the platform budget, pass score)
    developer with the growth pass enrols ──▶ enrolled ──submit──▶ submitted ──review (the mentor)──▶ reviewed

The review is one unit of work: the score and comment, the recommendation letter if any, MentorReviewGiven (growth
grants XP, the challenge engine counts it) and — when the score reaches the pass score — the cash bonus, posted once
through the ledger (`mentor_bonus` ref `mentor_enrolment:<id>`: platform:budget → payable:user:<developer>; the
(kind, ref) uniqueness and the enrolment's state both stop a second payment). The payable balance is paid out by the
payouts area's existing withdrawal path (`POST /payouts/withdraw`: a payout row and the WeChat Pay transfer). An
empty budget refuses the review (409) so nothing is half done.

Text (the public mentor title, the deliverable note, the review comment and letter) goes through content security
before the unit of work opens. The growth pass is read through the billing area's queries.
"""

from __future__ import annotations

from typing import Any

from shared.billing.queries import has_growth_pass
from shared.community.errors import ContentRejected
from shared.events import (
    AdminAudited,
    MentorBonusCredited,
    MentorDeliverableSubmitted,
    MentorEnrolled,
    MentorReviewGiven,
)
from shared.ledger.accounts import yuan
from shared.ledger.service import budget_covers, pay_from_budget
from shared.mentors import rules, texts
from shared.mentors import schemas as s
from shared.mentors.errors import (
    AlreadyEnrolled,
    BudgetInsufficient,
    ChallengeClosed,
    ChallengeNotFound,
    EnrolmentNotFound,
    EnrolmentStateConflict,
    GrowthPassRequired,
    MentorNotFound,
    NotAMentor,
    OwnChallenge,
    RealNameStateConflict,
)
from shared.mentors.queries import is_active_mentor
from shared.moderation import assess, author_openid
from shared.uow import UnitOfWork, run

_NAME = "coalesce(nullif(dp.display_name, ''), nullif(u.nickname, ''), '用户' || u.id::text)"


def _check_text(user_id: int, field_texts: dict[str, str]) -> None:
    verdict = assess(field_texts, author_openid(user_id))
    if verdict.suggest == "risky":
        raise ContentRejected(verdict.field or "")


def _audit(uow: UnitOfWork, admin_id: int, action: str, entity: str, entity_id: int, before: Any, after: Any,
           reason: str, subject: int | None) -> None:
    uow.publish(AdminAudited(admin_id=admin_id, action=action, entity_name=entity, entity_id=entity_id,
                             before=before, after=after, reason=reason, subject_user_id=subject))


# --------------------------------------------------------------------------------------------------- mentors


def _mentor_out(row: Any) -> s.MentorOut:
    return s.MentorOut(user_id=row.user_id, flagged=row.flagged, real_name_status=row.real_name_status,
                       title=row.title, active=rules.is_active_mentor(row.flagged, row.real_name_status,
                                                                       list(row.roles)))


def _admin_mentor_out(row: Any) -> s.AdminMentorOut:
    return s.AdminMentorOut(**_mentor_out(row).model_dump(), real_name=row.real_name)


def _mentor_row(uow: UnitOfWork, user_id: int, *, lock: bool = False) -> Any:
    if lock:
        uow.execute("SELECT user_id FROM mentors WHERE user_id = :u FOR UPDATE", {"u": user_id})
    return uow.execute("SELECT m.*, u.roles FROM mentors m JOIN users u ON u.id = m.user_id WHERE m.user_id = :u",
                       {"u": user_id}).first()


def submit_real_name(user_id: int, data: s.MentorRealNameIn) -> s.MentorOut:
    _check_text(user_id, {"title": data.title})
    return run(lambda uow: _submit_real_name(uow, user_id, data))


def _submit_real_name(uow: UnitOfWork, user_id: int, data: s.MentorRealNameIn) -> s.MentorOut:
    """A (new) real-name record waits for an operator; until approved again the user is not an active mentor."""
    uow.execute(
        "INSERT INTO mentors (user_id, real_name, real_name_status, title, created_at, updated_at)"
        " VALUES (:u, :n, 'pending', :t, :now, :now) ON CONFLICT (user_id) DO UPDATE SET real_name = :n,"
        " real_name_status = 'pending', title = :t, reviewed_by = NULL, updated_at = :now",
        {"u": user_id, "n": data.real_name.strip(), "t": data.title.strip(), "now": uow.now})
    return _mentor_out(_mentor_row(uow, user_id))


def my_mentor(uow: UnitOfWork, user_id: int) -> s.MentorOut:
    row = _mentor_row(uow, user_id)
    if row is None:
        raise MentorNotFound()
    return _mentor_out(row)


def mentor_queue(uow: UnitOfWork, status: str) -> s.AdminMentorList:
    rows = uow.execute("SELECT m.*, u.roles FROM mentors m JOIN users u ON u.id = m.user_id"
                       " WHERE m.real_name_status = :s ORDER BY m.updated_at, m.user_id LIMIT 200", {"s": status}).all()
    return s.AdminMentorList(items=[_admin_mentor_out(r) for r in rows])


def decide_real_name(uow: UnitOfWork, admin_id: int, user_id: int, data: s.RealNameDecision) -> s.AdminMentorOut:
    row = _mentor_row(uow, user_id, lock=True)
    if row is None:
        raise MentorNotFound()
    if row.real_name_status != "pending":
        raise RealNameStateConflict()
    status = "approved" if data.approve else "rejected"
    uow.execute("UPDATE mentors SET real_name_status = :s, reviewed_by = :a, updated_at = :now WHERE user_id = :u",
                {"s": status, "a": admin_id, "now": uow.now, "u": user_id})
    _audit(uow, admin_id, f"mentor.real_name_{status}", "mentor", user_id, {"real_name_status": "pending"},
           {"real_name_status": status}, data.reason, user_id)
    uow.notify(user_id, *texts.MENTOR_APPROVED.render(result="已通过审核" if data.approve else "未通过审核",
                                                      reason=data.reason.strip()),
               data={"mentor_id": user_id}, push=False)
    return _admin_mentor_out(_mentor_row(uow, user_id))


def set_flag(uow: UnitOfWork, admin_id: int, user_id: int, data: s.FlagIn) -> s.AdminMentorOut:
    if uow.execute("SELECT 1 FROM users WHERE id = :u", {"u": user_id}).first() is None:
        raise MentorNotFound()
    uow.execute("INSERT INTO mentors (user_id, created_at, updated_at) VALUES (:u, :now, :now)"
                " ON CONFLICT (user_id) DO NOTHING", {"u": user_id, "now": uow.now})
    row = _mentor_row(uow, user_id, lock=True)
    uow.execute("UPDATE mentors SET flagged = :f, updated_at = :now WHERE user_id = :u",
                {"f": data.mentor, "now": uow.now, "u": user_id})
    _audit(uow, admin_id, "mentor.flag" if data.mentor else "mentor.unflag", "mentor", user_id,
           {"flagged": row.flagged}, {"flagged": data.mentor}, data.reason, user_id)
    return _admin_mentor_out(_mentor_row(uow, user_id))


# --------------------------------------------------------------------------------------------------- challenges

_CHALLENGE_SELECT = (f"SELECT c.*, {_NAME} AS mentor_name, coalesce(m.title, '') AS mentor_title"
                     " FROM mentor_challenges c JOIN users u ON u.id = c.mentor_id"
                     " LEFT JOIN developer_profiles dp ON dp.user_id = c.mentor_id"
                     " LEFT JOIN mentors m ON m.user_id = c.mentor_id")


def _challenge_out(row: Any) -> s.ChallengeOut:
    return s.ChallengeOut(id=row.id, mentor_id=row.mentor_id, mentor_name=row.mentor_name,
                          mentor_title=row.mentor_title, title=row.title, brief=row.brief, bonus_fen=row.bonus_fen,
                          pass_score=row.pass_score, status=row.status, created_at=row.created_at)


def _challenge_row(uow: UnitOfWork, challenge_id: int) -> Any:
    return uow.execute(_CHALLENGE_SELECT + " WHERE c.id = :c", {"c": challenge_id}).one()


def _challenge(uow: UnitOfWork, challenge_id: int) -> Any:
    row = uow.execute(_CHALLENGE_SELECT + " WHERE c.id = :c", {"c": challenge_id}).first()
    if row is None:
        raise ChallengeNotFound()
    return row


def create_challenge(uow: UnitOfWork, admin_id: int, data: s.MentorChallengeIn) -> s.ChallengeOut:
    if not is_active_mentor(uow, data.mentor_id):
        raise NotAMentor()
    challenge_id = int(uow.execute(
        "INSERT INTO mentor_challenges (mentor_id, title, brief, bonus_fen, pass_score, created_by, created_at)"
        " VALUES (:m, :t, :b, :bonus, :p, :a, :now) RETURNING id",
        {"m": data.mentor_id, "t": data.title.strip(), "b": data.brief.strip(), "bonus": data.bonus_fen,
         "p": data.pass_score, "a": admin_id, "now": uow.now}).scalar_one())
    _audit(uow, admin_id, "mentor_challenge.create", "mentor_challenge", challenge_id, None,
           {"mentor_id": data.mentor_id, "bonus_fen": data.bonus_fen, "pass_score": data.pass_score}, "",
           data.mentor_id)
    return _challenge_out(_challenge_row(uow, challenge_id))


def close_challenge(uow: UnitOfWork, admin_id: int, challenge_id: int) -> s.ChallengeOut:
    row = _challenge(uow, challenge_id)
    if row.status != "open":
        raise ChallengeClosed()
    uow.execute("UPDATE mentor_challenges SET status = 'closed' WHERE id = :c", {"c": challenge_id})
    _audit(uow, admin_id, "mentor_challenge.close", "mentor_challenge", challenge_id, {"status": "open"},
           {"status": "closed"}, "", row.mentor_id)
    return _challenge_out(_challenge_row(uow, challenge_id))


def open_challenges(uow: UnitOfWork) -> s.ChallengeList:
    rows = uow.execute(_CHALLENGE_SELECT + " WHERE c.status = 'open' ORDER BY c.id DESC LIMIT 100").all()
    return s.ChallengeList(items=[_challenge_out(r) for r in rows])


def get_challenge(uow: UnitOfWork, challenge_id: int) -> s.ChallengeOut:
    return _challenge_out(_challenge(uow, challenge_id))


# --------------------------------------------------------------------------------------------------- enrolments


def _enrolment_out(uow: UnitOfWork, enrolment_id: int) -> s.EnrolmentOut:
    r = uow.execute("SELECT e.*, c.title AS challenge_title, l.body AS letter FROM mentor_enrolments e"
                    " JOIN mentor_challenges c ON c.id = e.challenge_id"
                    " LEFT JOIN mentor_letters l ON l.enrolment_id = e.id WHERE e.id = :e", {"e": enrolment_id}).one()
    return s.EnrolmentOut(id=r.id, challenge_id=r.challenge_id, challenge_title=r.challenge_title,
                          developer_id=r.developer_id, mentor_id=r.mentor_id, status=r.status,
                          deliverable_url=r.deliverable_url, deliverable_note=r.deliverable_note,
                          submitted_at=r.submitted_at, score=r.score, comment=r.comment, accepted=r.accepted,
                          bonus_fen=r.bonus_fen, letter=r.letter, reviewed_at=r.reviewed_at, created_at=r.created_at)


def enrol(uow: UnitOfWork, developer_id: int, challenge_id: int) -> s.EnrolmentOut:
    challenge = _challenge(uow, challenge_id)
    if challenge.status != "open":
        raise ChallengeClosed()
    if challenge.mentor_id == developer_id:
        raise OwnChallenge()
    if not has_growth_pass(uow, developer_id, uow.now):  # the billing area's membership, read
        raise GrowthPassRequired()
    row = uow.execute(
        "INSERT INTO mentor_enrolments (challenge_id, developer_id, mentor_id, created_at)"
        " VALUES (:c, :d, :m, :now) ON CONFLICT (challenge_id, developer_id) DO NOTHING RETURNING id",
        {"c": challenge_id, "d": developer_id, "m": challenge.mentor_id, "now": uow.now}).first()
    if row is None:
        raise AlreadyEnrolled()
    uow.publish(MentorEnrolled(enrolment_id=row.id, challenge_id=challenge_id, mentor_id=challenge.mentor_id,
                               developer_id=developer_id))
    return _enrolment_out(uow, int(row.id))


def _locked_enrolment(uow: UnitOfWork, enrolment_id: int, user_id: int, as_role: str) -> Any:
    """The enrolment under its row lock, if `user_id` is its developer (`as_role="developer"`) or its mentor;
    anyone else gets the same 404 as for a missing one."""
    row = uow.execute("SELECT e.*, c.title AS challenge_title, c.pass_score, c.bonus_fen AS challenge_bonus"
                      " FROM mentor_enrolments e JOIN mentor_challenges c ON c.id = e.challenge_id"
                      " WHERE e.id = :e FOR UPDATE OF e", {"e": enrolment_id}).first()
    owner = row.developer_id if row is not None and as_role == "developer" else (row.mentor_id if row else None)
    if row is None or owner != user_id:
        raise EnrolmentNotFound()
    return row


def submit_deliverable(developer_id: int, enrolment_id: int, data: s.DeliverableIn) -> s.EnrolmentOut:
    _check_text(developer_id, {"note": data.note})
    return run(lambda uow: _submit(uow, developer_id, enrolment_id, data))


def _submit(uow: UnitOfWork, developer_id: int, enrolment_id: int, data: s.DeliverableIn) -> s.EnrolmentOut:
    row = _locked_enrolment(uow, enrolment_id, developer_id, "developer")
    status = rules.next_status(row.status, "submit")
    if status is None:
        raise EnrolmentStateConflict()
    uow.execute("UPDATE mentor_enrolments SET status = :s, deliverable_url = :url, deliverable_note = :note,"
                " submitted_at = :now WHERE id = :e",
                {"s": status, "url": str(data.url), "note": data.note.strip(), "now": uow.now, "e": enrolment_id})
    uow.publish(MentorDeliverableSubmitted(enrolment_id=enrolment_id, mentor_id=row.mentor_id,
                                           developer_id=developer_id))
    uow.notify(row.mentor_id, *texts.DELIVERABLE.render(title=row.challenge_title),
               data={"enrolment_id": enrolment_id}, dedupe_key=f"mentor_deliverable:{enrolment_id}:{uow.now}",
               push=False)
    return _enrolment_out(uow, enrolment_id)


def review(mentor_id: int, enrolment_id: int, data: s.ReviewIn) -> s.EnrolmentOut:
    _check_text(mentor_id, {"comment": data.comment, "letter": data.letter or ""})
    return run(lambda uow: _review(uow, mentor_id, enrolment_id, data))


def _review(uow: UnitOfWork, mentor_id: int, enrolment_id: int, data: s.ReviewIn) -> s.EnrolmentOut:
    row = _locked_enrolment(uow, enrolment_id, mentor_id, "mentor")
    if not is_active_mentor(uow, mentor_id):
        raise NotAMentor()
    status = rules.next_status(row.status, "review")
    if status is None:
        raise EnrolmentStateConflict()
    passed = rules.accepted(data.score, row.pass_score)
    bonus = rules.bonus_for(data.score, row.pass_score, row.challenge_bonus)
    if bonus:
        _credit_bonus(uow, enrolment_id, row.developer_id, bonus)
    uow.execute("UPDATE mentor_enrolments SET status = :s, score = :score, comment = :c, accepted = :ok,"
                " bonus_fen = :bonus, reviewed_at = :now WHERE id = :e",
                {"s": status, "score": data.score, "c": data.comment.strip(), "ok": passed, "bonus": bonus,
                 "now": uow.now, "e": enrolment_id})
    letter = (data.letter or "").strip()
    if letter:
        uow.execute("INSERT INTO mentor_letters (enrolment_id, mentor_id, developer_id, body, created_at)"
                    " VALUES (:e, :m, :d, :b, :now)",
                    {"e": enrolment_id, "m": mentor_id, "d": row.developer_id, "b": letter, "now": uow.now})
    uow.publish(MentorReviewGiven(enrolment_id=enrolment_id, mentor_id=mentor_id, developer_id=row.developer_id,
                                  score=data.score, accepted=passed, letter=bool(letter)))
    uow.notify(row.developer_id, *texts.REVIEWED.render(
        title=row.challenge_title, score=data.score, verdict=texts.PASSED if passed else texts.NOT_PASSED,
        bonus=texts.BONUS_LINE.format(amount=yuan(bonus)) if bonus else ""),
        data={"enrolment_id": enrolment_id}, dedupe_key=f"mentor_reviewed:{enrolment_id}", push=False)
    return _enrolment_out(uow, enrolment_id)


def _credit_bonus(uow: UnitOfWork, enrolment_id: int, developer_id: int, amount_fen: int) -> None:
    """platform:budget → payable:user:<developer>, once per enrolment (ledger (kind, ref)); the budget is locked
    and checked first so an empty budget is a clear 409, not a failed CHECK at commit."""
    if not budget_covers(uow, amount_fen):
        raise BudgetInsufficient()
    posted = pay_from_budget(uow, "mentor_bonus", f"mentor_enrolment:{enrolment_id}", developer_id, amount_fen,
                             memo=f"mentor challenge bonus, enrolment {enrolment_id}")
    if posted is not None:
        uow.publish(MentorBonusCredited(enrolment_id=enrolment_id, developer_id=developer_id, amount_fen=amount_fen))


def my_enrolments(uow: UnitOfWork, user_id: int, role: str) -> s.EnrolmentList:
    column = "developer_id" if role == "developer" else "mentor_id"
    ids = uow.execute(f"SELECT id FROM mentor_enrolments WHERE {column} = :u ORDER BY id DESC LIMIT 100",
                      {"u": user_id}).scalars().all()
    return s.EnrolmentList(items=[_enrolment_out(uow, int(i)) for i in ids])


def get_enrolment(uow: UnitOfWork, viewer_id: int, enrolment_id: int) -> s.EnrolmentOut:
    row = uow.execute("SELECT developer_id, mentor_id FROM mentor_enrolments WHERE id = :e",
                      {"e": enrolment_id}).first()
    is_admin = bool(uow.execute("SELECT 'admin' = ANY(roles) FROM users WHERE id = :u", {"u": viewer_id}).scalar())
    if row is None or (viewer_id not in (row.developer_id, row.mentor_id) and not is_admin):
        raise EnrolmentNotFound()
    return _enrolment_out(uow, enrolment_id)
