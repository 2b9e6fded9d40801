-- Task chat (issue 12): one conversation per (task, applicant), opened by the chat area's in-transaction subscriber
-- of ApplicationSubmitted; once the task is assigned, the assignee's conversation is the task's conversation.
-- Only its two parties read or write it; operators read it only for a dispute of the task (shared/chat/service.py).
CREATE TABLE conversations (
    id                  bigserial PRIMARY KEY,
    task_id             bigint NOT NULL REFERENCES tasks(id),
    application_id      bigint NOT NULL REFERENCES applications(id),
    merchant_id         bigint NOT NULL REFERENCES users(id),
    developer_id        bigint NOT NULL REFERENCES users(id),
    -- read receipts: the newest message id each party has read; unread counts are kept beside them
    merchant_read_id    bigint NOT NULL DEFAULT 0,
    developer_read_id   bigint NOT NULL DEFAULT 0,
    merchant_unread     int NOT NULL DEFAULT 0 CHECK (merchant_unread >= 0),
    developer_unread    int NOT NULL DEFAULT 0 CHECK (developer_unread >= 0),
    message_count       int NOT NULL DEFAULT 0,
    flagged_count       int NOT NULL DEFAULT 0,       -- messages flagged as an off-platform contact attempt
    last_message_at     timestamptz,
    last_pushed_at      timestamptz,                  -- the last subscribe message for this conversation (rate limit)
    purged_at           timestamptz,                  -- messages deleted after the task's life + the dispute window
    created_at          timestamptz NOT NULL,
    UNIQUE (task_id, developer_id),
    CHECK (merchant_id <> developer_id)
);
CREATE INDEX conversations_merchant ON conversations (merchant_id, last_message_at DESC NULLS LAST, id DESC);
CREATE INDEX conversations_developer ON conversations (developer_id, last_message_at DESC NULLS LAST, id DESC);

-- `body` is what the sender wrote (after the content check); `masked_body` is what the receiver sees: the same
-- text with the contact details the detector found replaced by '*' (shared/chat/detection.py), equal to `body`
-- when nothing was found.
CREATE TABLE chat_messages (
    id                  bigserial PRIMARY KEY,
    conversation_id     bigint NOT NULL REFERENCES conversations(id),
    sender_id           bigint NOT NULL REFERENCES users(id),
    kind                text NOT NULL CHECK (kind IN ('text', 'link', 'file')),
    body                text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    masked_body         text NOT NULL,
    flag_kinds          text[] NOT NULL DEFAULT '{}',  -- detector kinds: phone / wechat / qq / email / im / payment / intent
    link_url            text,
    file_key            text,
    created_at          timestamptz NOT NULL
);
-- Incremental fetch: a conversation's messages after an id (keyset), the poll's only query.
CREATE INDEX chat_messages_conversation ON chat_messages (conversation_id, id);
CREATE INDEX chat_messages_flagged ON chat_messages (sender_id, id) WHERE flag_kinds <> '{}';

-- A party reported the conversation to the operators: from then on operators may read it (as for a dispute).
ALTER TABLE conversations ADD COLUMN reported_at timestamptz;
ALTER TABLE conversations ADD COLUMN reported_by bigint REFERENCES users(id);
ALTER TABLE conversations ADD COLUMN report_reason text NOT NULL DEFAULT '';
