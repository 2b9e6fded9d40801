"""Reading the event log: a user's timeline, an entity's history, the operators' audit trail. Read-only, newest first,
keyset-paginated (the cursor is the last row's (occurred_at, id)), each query on one of event_log's indexes (users:
GIN on user_ids; entity: (entity, entity_id, id); audit: (name, occurred_at, id))."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.uow import UnitOfWork

_COLUMNS = "id, name, entity, entity_id, actor_id, user_ids, data, occurred_at"


@dataclass(frozen=True)
class Logged:
    id: int
    name: str
    entity: str
    entity_id: int
    actor_id: int | None
    user_ids: list[int]
    data: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True)
class Cursor:
    occurred_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.occurred_at.isoformat()}|{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        at, _, ident = text.rpartition("|")
        try:
            return cls(datetime.fromisoformat(at), int(ident))
        except ValueError:
            return None


def _rows(uow: UnitOfWork, where: list[str], params: dict[str, Any], cursor: Cursor | None,
          limit: int) -> tuple[list[Logged], Cursor | None]:
    if cursor is not None:
        where.append("(occurred_at, id) < (:c_at, :c_id)")
        params |= {"c_at": cursor.occurred_at, "c_id": cursor.id}
    rows = uow.execute(f"SELECT {_COLUMNS} FROM event_log WHERE {' AND '.join(where)}"
                       " ORDER BY occurred_at DESC, id DESC LIMIT :n", {**params, "n": limit + 1}).all()
    items = [Logged(r.id, r.name, r.entity, r.entity_id, r.actor_id, list(r.user_ids), r.data, r.occurred_at)
             for r in rows[:limit]]
    more = Cursor(items[-1].occurred_at, items[-1].id) if len(rows) > limit else None
    return items, more


def for_user(uow: UnitOfWork, user_id: int, *, cursor: Cursor | None = None,
             limit: int = 50) -> tuple[list[Logged], Cursor | None]:
    """Everything that concerns the user (as actor, party or subject)."""
    return _rows(uow, ["user_ids @> ARRAY[CAST(:u AS bigint)]"], {"u": user_id}, cursor, limit)


def for_entities(uow: UnitOfWork, refs: Sequence[tuple[str, Sequence[int]]], *,
                 limit: int = 200) -> list[Logged]:
    """The history of some entities together, e.g. a task with its applications, dispute, refunds and payouts."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for i, (entity, ids) in enumerate(refs):
        if ids:
            clauses.append(f"(entity = :e{i} AND entity_id = ANY(:i{i}))")
            params |= {f"e{i}": entity, f"i{i}": list(ids)}
    if not clauses:
        return []
    return _rows(uow, ["(" + " OR ".join(clauses) + ")"], params, None, limit)[0]


@dataclass(frozen=True)
class AuditQuery:
    admin_id: int | None = None
    action: str = ""  # a prefix: "task." finds every task action
    entity: str = ""
    entity_id: int | None = None
    subject_user_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""  # in the reason


def audit(uow: UnitOfWork, q: AuditQuery, *, cursor: Cursor | None = None,
          limit: int = 50) -> tuple[list[Logged], Cursor | None]:
    """Operators' actions (AdminAudited): who did what to what, when, why, before and after."""
    where: list[str] = ["name = 'AdminAudited'"]
    params: dict[str, Any] = {}
    if q.admin_id is not None:
        where.append("actor_id = :admin")
        params["admin"] = q.admin_id
    if q.action:
        where.append("data->>'action' LIKE :action")
        params["action"] = q.action.replace("%", r"\%").replace("_", r"\_") + "%"
    if q.entity:
        where.append("entity = :entity")
        params["entity"] = q.entity
    if q.entity_id is not None:
        where.append("entity_id = :entity_id")
        params["entity_id"] = q.entity_id
    if q.subject_user_id is not None:
        where.append("user_ids @> ARRAY[CAST(:subject AS bigint)]")
        params["subject"] = q.subject_user_id
    if q.since is not None:
        where.append("occurred_at >= :since")
        params["since"] = q.since
    if q.until is not None:
        where.append("occurred_at < :until")
        params["until"] = q.until
    if q.text:
        where.append("data->>'reason' ILIKE :text")
        params["text"] = "%" + q.text.replace("%", r"\%").replace("_", r"\_") + "%"
    return _rows(uow, where, params, cursor, limit)
