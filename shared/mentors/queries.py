"""Read-only questions other areas may ask the mentors area: the recommendation letters a developer holds (for the
resume card and the growth reports), and whether a user is an active mentor."""

from __future__ import annotations

from shared.mentors import rules
from shared.mentors.schemas import LetterOut
from shared.uow import UnitOfWork

_NAME = "coalesce(nullif(dp.display_name, ''), nullif(u.nickname, ''), '导师' || u.id::text)"


def letters_for(uow: UnitOfWork, developer_id: int, limit: int = 20) -> list[LetterOut]:
    """The developer's recommendation letters, newest first, with the mentor and the challenge they came from."""
    rows = uow.execute(
        f"SELECT l.*, {_NAME} AS mentor_name, coalesce(m.title, '') AS mentor_title, c.title AS challenge_title,"
        " e.score FROM mentor_letters l JOIN mentor_enrolments e ON e.id = l.enrolment_id"
        " JOIN mentor_challenges c ON c.id = e.challenge_id JOIN users u ON u.id = l.mentor_id"
        " LEFT JOIN developer_profiles dp ON dp.user_id = l.mentor_id LEFT JOIN mentors m ON m.user_id = l.mentor_id"
        " WHERE l.developer_id = :d ORDER BY l.created_at DESC, l.enrolment_id DESC LIMIT :n",
        {"d": developer_id, "n": limit}).all()
    return [LetterOut(enrolment_id=r.enrolment_id, mentor_id=r.mentor_id, mentor_name=r.mentor_name,
                      mentor_title=r.mentor_title, challenge_title=r.challenge_title, score=r.score, body=r.body,
                      created_at=r.created_at) for r in rows]


def is_active_mentor(uow: UnitOfWork, user_id: int) -> bool:
    row = uow.execute("SELECT m.flagged, m.real_name_status, u.roles FROM mentors m JOIN users u ON u.id = m.user_id"
                      " WHERE m.user_id = :u", {"u": user_id}).first()
    return row is not None and rules.is_active_mentor(row.flagged, row.real_name_status, list(row.roles))
