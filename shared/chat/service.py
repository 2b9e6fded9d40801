"""Task chat use cases: conversations, sending (content check, off-platform detection), incremental fetch, read
receipts, export, reports, the operators' view, and the retention purge.

    ApplicationSubmitted ──(in-transaction subscriber)──▶ a conversation per (task, applicant)
    TaskAssigned: the assignee's conversation is the task's conversation; the other applicants' become read-only

Sending: the participant check (a short read), then WeChat content security (msg_sec_check) and the detector
(shared/chat/detection.py, pure) run BEFORE the unit of work opens; the unit of work locks the conversation, writes
the message with what the receiver sees (`masked_body`), keeps the unread counters and publishes
OffPlatformContactFlagged for a flagged message (the credit area counts it against the sender). The sender gets the
detector's warning in the response. Only the two parties read or write a conversation: a third user, the other
applicants and operators get 404 CONVERSATION_NOT_FOUND; operators read it through `admin_view`, and only for a
dispute of the task or after a party reported the conversation.
"""

from __future__ import annotations

import re
from typing import Any

from shared.chat import rules, texts
from shared.chat import schemas as s
from shared.chat.detection import RuleError, detect
from shared.chat.errors import AlreadyReported, ConversationClosed, ConversationNotFound, MessageRejected
from shared.events import OffPlatformContactFlagged
from shared.moderation import assess
from shared.pagination import ID, decode_cursor, encode_cursor
from shared.uow import UnitOfWork, run

_URL = re.compile(r"https?://[^\s<>\"'，。]+", re.I)
_CONV = ("SELECT c.*, t.title AS task_title, t.status AS task_status, t.assignee_id FROM conversations c"
         " JOIN tasks t ON t.id = c.task_id")


# --------------------------------------------------------------------------------------------------- reading helpers


def _load(uow: UnitOfWork, user_id: int, conversation_id: int, *, lock: bool = False) -> tuple[Any, str]:
    """The conversation and the viewer's role in it; anybody but its two parties gets the same 404 as for a missing
    one (operators included: they read through admin_view)."""
    if lock:
        uow.execute("SELECT id FROM conversations WHERE id = :c FOR UPDATE", {"c": conversation_id})
    row = uow.execute(_CONV + " WHERE c.id = :c", {"c": conversation_id}).first()
    role = rules.role_of(user_id, row.merchant_id, row.developer_id) if row is not None else None
    if row is None or role is None:
        raise ConversationNotFound()
    return row, role


def _writable(row: Any) -> bool:
    return (row.purged_at is None and row.task_status not in rules.ENDED
            and (row.assignee_id is None or row.assignee_id == row.developer_id))


def _conv_out(row: Any, role: str) -> s.ConversationOut:
    mine = role == "merchant"
    return s.ConversationOut(
        id=row.id, task_id=row.task_id, task_title=row.task_title, merchant_id=row.merchant_id,
        developer_id=row.developer_id, my_role=role,
        unread=(row.merchant_unread if mine else row.developer_unread) if role != "admin" else 0,
        other_read_id=row.developer_read_id if mine else row.merchant_read_id,
        message_count=row.message_count, flagged_count=row.flagged_count, writable=_writable(row),
        last_message_at=row.last_message_at, created_at=row.created_at)


def _message_out(row: Any, viewer_id: int, other_read_id: int) -> s.MessageOut:
    mine = row.sender_id == viewer_id
    return s.MessageOut(
        id=row.id, conversation_id=row.conversation_id, sender_id=row.sender_id, mine=mine, kind=row.kind,
        body=rules.visible_body(viewer_id, row.sender_id, row.body, row.masked_body),
        masked=not mine and row.masked_body != row.body, flag_kinds=list(row.flag_kinds) if mine else [],
        link_url=row.link_url if mine or row.masked_body == row.body else None, file_key=row.file_key,
        read_by_other=mine and row.id <= other_read_id, created_at=row.created_at)


# --------------------------------------------------------------------------------------------------- sending


def send(user_id: int, conversation_id: int, data: s.MessageIn, *, kind: str = "text",
         file_key: str | None = None) -> s.SentOut:
    body = data.body.strip()
    if not body:
        raise MessageRejected()
    openid = run(lambda uow: _sender_openid(uow, user_id, conversation_id))  # outsiders: refused before the check
    verdict = assess({"body": body}, openid)  # WeChat msg_sec_check, outside any transaction
    if verdict.suggest == "risky":
        raise MessageRejected()
    try:
        detection = detect(body)  # pure, built-in rules
    except RuleError as exc:  # the built-in rules are checked by the tests: this is a bug, never the user's input
        raise RuntimeError("the built-in detection rules are invalid") from exc
    url = _URL.search(body)
    if kind == "text" and url is not None:
        kind = "link"
    return run(lambda uow: _send(uow, user_id, conversation_id, body, kind, url.group(0) if url else None, file_key,
                                 detection.masked_text, tuple(sorted(detection.kinds)),
                                 detection.sender_warning()))


def _sender_openid(uow: UnitOfWork, user_id: int, conversation_id: int) -> str | None:
    """One short read before the content check: the participant check, and the sender's openid (v2 needs it)."""
    _load(uow, user_id, conversation_id)
    return uow.execute("SELECT openid FROM users WHERE id = :u", {"u": user_id}).scalar()


def _send(uow: UnitOfWork, user_id: int, conversation_id: int, body: str, kind: str, link_url: str | None,
          file_key: str | None, masked_body: str, flag_kinds: tuple[str, ...], warning: str | None) -> s.SentOut:
    row, role = _load(uow, user_id, conversation_id, lock=True)
    if not _writable(row):
        raise ConversationClosed()
    message_id = int(uow.execute(
        "INSERT INTO chat_messages (conversation_id, sender_id, kind, body, masked_body, flag_kinds, link_url,"
        " file_key, created_at) VALUES (:c, :u, :k, :b, :m, :f, :l, :fk, :now) RETURNING id",
        {"c": row.id, "u": user_id, "k": kind, "b": body, "m": masked_body, "f": list(flag_kinds), "l": link_url,
         "fk": file_key, "now": uow.now}).scalar_one())
    me, other = ("merchant", "developer") if role == "merchant" else ("developer", "merchant")
    unread_before = int(getattr(row, f"{other}_unread"))
    receiver = row.developer_id if role == "merchant" else row.merchant_id
    push = rules.may_push(unread_before, row.last_pushed_at, uow.now)
    uow.execute(
        f"UPDATE conversations SET {other}_unread = {other}_unread + 1, {me}_read_id = :id,"
        " message_count = message_count + 1, flagged_count = flagged_count + :flagged, last_message_at = :now,"
        " last_pushed_at = CASE WHEN :push THEN :now ELSE last_pushed_at END WHERE id = :c",
        {"id": message_id, "flagged": 1 if flag_kinds else 0, "now": uow.now, "push": push, "c": row.id})
    if flag_kinds:
        uow.publish(OffPlatformContactFlagged(message_id=message_id, conversation_id=row.id, task_id=row.task_id,
                                              sender_id=user_id, kinds=flag_kinds))
    if push:
        excerpt = masked_body if len(masked_body) <= 30 else masked_body[:30] + "…"
        uow.notify(receiver, *texts.NEW_MESSAGE.render(title=row.task_title, excerpt=excerpt),
                   data={"task_id": row.task_id, "conversation_id": row.id}, dedupe_key=f"chat:{message_id}")
    msg = uow.execute("SELECT * FROM chat_messages WHERE id = :id", {"id": message_id}).one()
    other_read = int(getattr(row, f"{other}_read_id"))
    return s.SentOut(message=_message_out(msg, user_id, other_read), warning=warning)


# --------------------------------------------------------------------------------------------------- reading


def conversations(uow: UnitOfWork, user_id: int, query: s.ConversationsQuery) -> s.ConversationList:
    sql, params = _CONV + " WHERE (c.merchant_id = :u OR c.developer_id = :u)", {"u": user_id}
    if query.task_id is not None:
        sql += " AND c.task_id = :t"
        params["t"] = query.task_id
    found = uow.execute(sql + " ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC LIMIT 200", params).all()
    items = [_conv_out(r, rules.role_of(user_id, r.merchant_id, r.developer_id) or "developer") for r in found]
    return s.ConversationList(items=items, unread_total=sum(i.unread for i in items))


def get_conversation(uow: UnitOfWork, user_id: int, conversation_id: int) -> s.ConversationOut:
    row, role = _load(uow, user_id, conversation_id)
    return _conv_out(row, role)


def messages(uow: UnitOfWork, user_id: int, conversation_id: int, query: s.MessagesQuery) -> s.MessagePage:
    """Messages after the cursor, oldest first: one index range scan on (conversation_id, id), so a poll with
    nothing new costs one tiny query. The cursor of the last message comes back even when nothing is new."""
    row, role = _load(uow, user_id, conversation_id)
    after = decode_cursor(query.cursor, ID)[0] if query.cursor else 0
    found = uow.execute("SELECT * FROM chat_messages WHERE conversation_id = :c AND id > :after ORDER BY id LIMIT :n",
                        {"c": row.id, "after": after, "n": query.limit + 1}).all()
    page = found[: query.limit]
    other_read = row.developer_read_id if role == "merchant" else row.merchant_read_id
    last = page[-1].id if page else (after or None)
    return s.MessagePage(items=[_message_out(m, user_id, other_read) for m in page],
                         next_cursor=encode_cursor(last) if last else None, has_more=len(found) > query.limit,
                         unread=row.merchant_unread if role == "merchant" else row.developer_unread)


def mark_read(uow: UnitOfWork, user_id: int, conversation_id: int, data: s.ReadIn) -> s.ReadOut:
    """Read receipt: the viewer has read up to `up_to_id` (never backwards); the unread count is recounted."""
    row, role = _load(uow, user_id, conversation_id, lock=True)
    read_id = max(int(getattr(row, f"{role}_read_id")), data.up_to_id)
    newest = uow.execute("SELECT max(id) FROM chat_messages WHERE conversation_id = :c", {"c": row.id}).scalar()
    read_id = min(read_id, int(newest or 0)) if newest is not None else int(getattr(row, f"{role}_read_id"))
    unread = int(uow.execute("SELECT count(*) FROM chat_messages WHERE conversation_id = :c AND id > :r"
                             " AND sender_id <> :u", {"c": row.id, "r": read_id, "u": user_id}).scalar_one())
    uow.execute(f"UPDATE conversations SET {role}_read_id = :r, {role}_unread = :n WHERE id = :c",
                {"r": read_id, "n": unread, "c": row.id})
    return s.ReadOut(conversation_id=row.id, read_id=read_id, unread=unread)


def _export_messages(uow: UnitOfWork, row: Any) -> list[Any]:
    return list(uow.execute("SELECT * FROM chat_messages WHERE conversation_id = :c ORDER BY id",
                            {"c": row.id}).all())


def export(uow: UnitOfWork, user_id: int, conversation_id: int) -> s.ChatExportOut:
    """The whole conversation as the viewer sees it, with a plain-text transcript (either party)."""
    row, role = _load(uow, user_id, conversation_id)
    out: list[s.ExportMessage] = []
    lines = [f"任务「{row.task_title}」聊天记录（会话 {row.id}）"]
    for m in _export_messages(uow, row):
        sender_role = "merchant" if m.sender_id == row.merchant_id else "developer"
        body = rules.visible_body(user_id, m.sender_id, m.body, m.masked_body)
        out.append(s.ExportMessage(id=m.id, sender_id=m.sender_id, sender_role=sender_role,
                                   kind=m.kind, body=body, flag_kinds=list(m.flag_kinds), link_url=m.link_url,
                                   file_key=m.file_key, created_at=m.created_at))
        who = "商家" if sender_role == "merchant" else "开发者"
        lines.append(f"{m.created_at.isoformat(timespec='seconds')} {who}：{body}")
    return s.ChatExportOut(conversation=_conv_out(row, role), messages=out, transcript="\n".join(lines),
                       exported_at=uow.now)


def report(uow: UnitOfWork, user_id: int, conversation_id: int, data: s.ChatReportIn) -> s.ChatReportOut:
    """A party reports the conversation: operators may read it from now on."""
    row, _ = _load(uow, user_id, conversation_id, lock=True)
    if row.reported_at is not None:
        raise AlreadyReported()
    uow.execute("UPDATE conversations SET reported_at = :now, reported_by = :u, report_reason = :r WHERE id = :c",
                {"now": uow.now, "u": user_id, "r": data.reason.strip(), "c": row.id})
    return s.ChatReportOut(conversation_id=row.id, reported=True)


# --------------------------------------------------------------------------------------------------- operators


def admin_view(uow: UnitOfWork, admin_id: int, conversation_id: int) -> s.AdminConversationOut:
    """Operators read a conversation only for a dispute of its task (with this developer) or after a report;
    otherwise it does not exist for them."""
    row = uow.execute(_CONV + " WHERE c.id = :c", {"c": conversation_id}).first()
    if row is None:
        raise ConversationNotFound()
    disputed = uow.execute("SELECT 1 FROM disputes WHERE task_id = :t AND developer_id = :d",
                           {"t": row.task_id, "d": row.developer_id}).first() is not None
    if not disputed and row.reported_at is None:
        raise ConversationNotFound()
    msgs = [s.AdminMessage(id=m.id, sender_id=m.sender_id,
                           sender_role="merchant" if m.sender_id == row.merchant_id else "developer",
                           kind=m.kind, body=m.body, masked_body=m.masked_body, flag_kinds=list(m.flag_kinds),
                           link_url=m.link_url, file_key=m.file_key, created_at=m.created_at)
            for m in _export_messages(uow, row)]
    return s.AdminConversationOut(conversation=_conv_out(row, "admin"), access="dispute" if disputed else "report",
                                  messages=msgs)


def reported(uow: UnitOfWork) -> list[s.ConversationOut]:
    rows = uow.execute(_CONV + " WHERE c.reported_at IS NOT NULL ORDER BY c.reported_at DESC LIMIT 100").all()
    return [_conv_out(r, "admin") for r in rows]


# --------------------------------------------------------------------------------------------------- retention


def purge(uow: UnitOfWork) -> int:
    """Delete the messages of conversations kept past the task's life plus the dispute window (rules.purge_after);
    the conversation row stays (purged_at) so counts and the credit facts keep their history."""
    found = uow.execute(
        "SELECT c.id, t.status, coalesce(t.completed_at, t.closed_at, t.updated_at) AS ended_at,"
        " d.status AS dispute_status, d.ruled_at FROM conversations c JOIN tasks t ON t.id = c.task_id"
        " LEFT JOIN disputes d ON d.task_id = c.task_id AND d.developer_id = c.developer_id"
        " WHERE c.purged_at IS NULL AND t.status = ANY(:ended) ORDER BY c.id LIMIT 1000",
        {"ended": sorted(rules.ENDED)}).all()
    done = 0
    for r in found:
        due = rules.purge_after(r.status, r.ended_at, r.dispute_status, r.ruled_at)
        if due is not None and due <= uow.now:
            uow.execute("DELETE FROM chat_messages WHERE conversation_id = :c", {"c": r.id})
            uow.execute("UPDATE conversations SET purged_at = :now WHERE id = :c", {"now": uow.now, "c": r.id})
            done += 1
    return done
