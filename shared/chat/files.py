"""Chat file messages through COS (shared/adapters/cos.py): a short-lived upload policy, a file message that
references the uploaded key, a short-lived download link. Apart from service.py because boto3 lives in the reports
layer: only the `chat` function mounts it (the timers, which purge chats through service.py, do not)."""

from __future__ import annotations

import secrets
from typing import Any

from shared.adapters.cos import GET_URL_SECONDS, POST_POLICY_SECONDS, CosError, cos
from shared.chat import schemas as s
from shared.chat import service
from shared.chat.errors import ConversationClosed, FileNotUploaded, FileStorageUnavailable, MessageNotFound
from shared.uow import UnitOfWork, run


def _file_prefix(conversation_id: int, user_id: int) -> str:
    return f"chat/{conversation_id}/{user_id}/"


def upload_policy(user_id: int, conversation_id: int, data: s.UploadIn) -> s.UploadPolicyOut:
    """A short-lived COS upload policy (presigned POST) for `wx.uploadFile`: the file can only go under this
    sender's prefix of this conversation, with the declared type and at most MAX_FILE_BYTES. Signing is local (no
    call to COS) and happens after the participant check's unit of work is closed."""
    row, _ = run(lambda uow: service._load(uow, user_id, conversation_id))
    if not service._writable(row):
        raise ConversationClosed()
    prefix = _file_prefix(conversation_id, user_id) + secrets.token_hex(8) + "/"
    try:
        policy = cos().presigned_post(prefix, content_type=data.content_type, allowed_types=s.FILE_TYPES,
                                      max_bytes=s.MAX_FILE_BYTES)
    except CosError as exc:
        raise FileStorageUnavailable() from exc
    return s.UploadPolicyOut(url=policy["url"], fields={k: str(v) for k, v in policy["fields"].items()},
                             key_prefix=prefix, max_bytes=s.MAX_FILE_BYTES, expires_in=POST_POLICY_SECONDS)


def send_file(user_id: int, conversation_id: int, data: s.FileMessageIn) -> s.SentOut:
    """A file message: the uploaded key must be under the sender's prefix of this conversation and really be in
    COS (checked before the unit of work); its name is the message text (content check and detector as for text)."""
    key = data.key.strip()
    if not key.startswith(_file_prefix(conversation_id, user_id)) or ".." in key:
        raise FileNotUploaded()
    run(lambda uow: service._load(uow, user_id, conversation_id))
    try:
        stored = cos().head(key)
    except CosError as exc:
        raise FileStorageUnavailable() from exc
    if stored is None:
        raise FileNotUploaded()
    return service.send(user_id, conversation_id, s.MessageIn(body=data.name), kind="file", file_key=key)


def file_url(user_id: int, conversation_id: int, message_id: int) -> s.FileUrlOut:
    """A short-lived download link for a file message, for the two parties only."""
    def find(uow: UnitOfWork) -> Any:
        row, _ = service._load(uow, user_id, conversation_id)
        return uow.execute("SELECT file_key, body FROM chat_messages WHERE id = :m AND conversation_id = :c"
                           " AND file_key IS NOT NULL", {"m": message_id, "c": row.id}).first()

    found = run(find)
    if found is None:
        raise MessageNotFound()
    try:
        url = cos().presigned_get(found.file_key, filename=None)
    except CosError as exc:
        raise FileStorageUnavailable() from exc
    return s.FileUrlOut(url=url, expires_in=GET_URL_SECONDS)
