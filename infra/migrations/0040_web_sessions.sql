-- The operators' web console (issue 11) signs in with the SMS flow and keeps a server-side session per browser: a
-- row here, named by the SHA-256 of the HttpOnly cookie's random value (a copy of this table is no live session).
-- Revoked on logout and on a ban (shared/auth/web_sessions.py); expires 12 h after sign-in or 2 h after its last use.
CREATE TABLE web_sessions (
    id              bigserial PRIMARY KEY,
    token_hash      text NOT NULL UNIQUE,
    user_id         bigint NOT NULL REFERENCES users(id),
    csrf_token      text NOT NULL,               -- every form and htmx request of the session carries it back
    ip              text NOT NULL DEFAULT '',
    user_agent      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text                         -- logout / banned / role_removed
);
CREATE INDEX web_sessions_live ON web_sessions (user_id) WHERE revoked_at IS NULL;
