-- Growth (shared/growth, docs/GROWTH.md): skill points, XP, levels, the points cap, fair play.
-- Every grant is an append-only entry idempotent on a business key; totals beside them are their running sums.

-- One row per completed task of a developer, filled by TaskCompleted and RatingGiven (whichever arrives first
-- creates it); its growth is granted once both are known (granted_at).
CREATE TABLE growth_tasks (
    task_id         bigint PRIMARY KEY,
    developer_id    bigint NOT NULL REFERENCES users(id),
    merchant_id     bigint NOT NULL REFERENCES users(id),
    skill_tags      text[] NOT NULL DEFAULT '{}',
    difficulty      smallint,
    completed_at    timestamptz,               -- when TaskCompleted happened (NULL: only the rating is known yet)
    stars           smallint CHECK (stars BETWEEN 1 AND 5),
    rated_at        timestamptz,
    fair_bp         int,                       -- the fair-play factor applied (10000 = full), set when granted
    fair_reason     text NOT NULL DEFAULT '',
    same_person     boolean NOT NULL DEFAULT false,
    granted_at      timestamptz,
    reversed_at     timestamptz                -- an operator took its growth back: it no longer counts for levels
);
CREATE INDEX growth_tasks_developer ON growth_tasks (developer_id, rated_at);
CREATE INDEX growth_tasks_pair ON growth_tasks (developer_id, merchant_id, rated_at);

CREATE TABLE skill_point_entries (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id),
    skill           text NOT NULL,
    category        text NOT NULL,
    points          int NOT NULL CHECK (points <> 0),
    ref             text NOT NULL,             -- task:<id>, reversal:task:<id>
    reason          text NOT NULL,
    month           date NOT NULL,             -- first day of its Asia/Shanghai month: the monthly history
    created_at      timestamptz NOT NULL,
    UNIQUE (user_id, skill, ref)
);
CREATE INDEX skill_point_entries_month ON skill_point_entries (user_id, month);

-- The skill graph: one row per (developer, skill), the running sum of its entries. The hall's `match` sort reads it.
CREATE TABLE user_skills (
    user_id         bigint NOT NULL REFERENCES users(id),
    skill           text NOT NULL,
    category        text NOT NULL,
    points          bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, skill)
);

CREATE TABLE xp_entries (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id),
    amount          int NOT NULL CHECK (amount <> 0),
    source          text NOT NULL CHECK (source IN ('task', 'challenge', 'mentor_review', 'adjustment')),
    ref             text NOT NULL,
    reason          text NOT NULL,
    month           date NOT NULL,
    created_at      timestamptz NOT NULL,
    UNIQUE (user_id, source, ref)
);
CREATE INDEX xp_entries_month ON xp_entries (user_id, month);

-- A developer's growth at a glance: XP and level (C until promoted), and since when they are below the demotion
-- buffer of their level (the grace period runs from there; NULL: not below).
CREATE TABLE growth_profiles (
    user_id         bigint PRIMARY KEY REFERENCES users(id),
    xp              bigint NOT NULL DEFAULT 0,
    level           text NOT NULL DEFAULT 'C' CHECK (level IN ('C', 'B', 'A', 'S')),
    level_since     timestamptz,
    below_since     timestamptz,
    evaluated_at    timestamptz,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX growth_profiles_level ON growth_profiles (level);

CREATE TABLE level_changes (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id),
    old_level       text NOT NULL,
    new_level       text NOT NULL,
    direction       text NOT NULL CHECK (direction IN ('promoted', 'demoted')),
    reasons         text[] NOT NULL DEFAULT '{}',
    trigger         text NOT NULL,             -- rating / nightly / …
    created_at      timestamptz NOT NULL
);
CREATE INDEX level_changes_user ON level_changes (user_id, id DESC);

-- Fair play: a merchant and a developer found to be the same person (same unionid, phone or paying openid).
CREATE TABLE growth_fair_play_flags (
    merchant_id     bigint NOT NULL REFERENCES users(id),
    developer_id    bigint NOT NULL REFERENCES users(id),
    reasons         text[] NOT NULL,
    first_task_id   bigint NOT NULL,
    tasks           int NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (merchant_id, developer_id)
);
