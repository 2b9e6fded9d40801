-- Badges and titles (issue 8; the `badges` area, shared/badges, docs/GROWTH-BADGES.md). A badge is data: a rule of a
-- known kind with parameters, the events that trigger it, and flags. Grants are append-only; a revocation is a
-- compensating record with its reason. No FK to users: that is the auth area's table.

CREATE TABLE badges (
    key             text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{1,39}$'),
    name            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    rule_kind       text NOT NULL,               -- count / first / sum / avg_rating / streak / rank / level / challenge
    params          jsonb NOT NULL DEFAULT '{}',
    triggers        text[] NOT NULL,             -- event names that re-evaluate it
    repeatable      boolean NOT NULL DEFAULT false,
    revocable       boolean NOT NULL DEFAULT false,
    wearable        boolean NOT NULL DEFAULT false,  -- may be worn as a title
    enabled         boolean NOT NULL DEFAULT false,
    version         int NOT NULL DEFAULT 1,      -- bumped by every edit of the rule
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- One row per grant; `ref` is the business key the grant is idempotent on ("once", "once:2" after a revocation,
-- "n:3" for the third of a repeatable count, "2026-W49:weekly" for a repeatable rank …).
CREATE TABLE badge_grants (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL,
    badge_key       text NOT NULL REFERENCES badges(key),
    ref             text NOT NULL,
    reason          text NOT NULL,               -- why (Chinese, shown to the user)
    backfill        boolean NOT NULL DEFAULT false,  -- granted by a replay (a backfill): never notified
    granted_at      timestamptz NOT NULL,
    notified_at     timestamptz,                 -- when the digest told the user (NULL: not yet)
    UNIQUE (user_id, badge_key, ref)
);
CREATE INDEX badge_grants_badge ON badge_grants (badge_key, user_id);
-- The digest's queue: grants to tell their user about, oldest first.
CREATE INDEX badge_grants_unnotified ON badge_grants (granted_at, id) WHERE notified_at IS NULL AND NOT backfill;

-- The compensating record of a grant: only for revocable badges; one per grant.
CREATE TABLE badge_revocations (
    grant_id        bigint PRIMARY KEY REFERENCES badge_grants(id),
    reason          text NOT NULL,
    admin_id        bigint,                      -- an operator's revocation; NULL: the rule no longer holds
    revoked_at      timestamptz NOT NULL
);

-- The title a user wears: one wearable badge they hold.
CREATE TABLE badge_titles (
    user_id         bigint PRIMARY KEY,
    badge_key       text NOT NULL REFERENCES badges(key),
    worn_at         timestamptz NOT NULL
);
