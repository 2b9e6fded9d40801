-- Leaderboards (issue 8; the `leaderboards` area, shared/leaderboards, docs/GROWTH-BADGES.md). Scores per board and
-- period are kept by after-commit subscribers of XpGranted and SkillPointsGranted; periods are Asia/Shanghai.
--   board:  'xp' or 'skill:<slug>'      period: '2026-W49' (ISO week), '2026-12' (month), 'all'

CREATE TABLE lb_scores (
    board           text NOT NULL,
    period          text NOT NULL,
    user_id         bigint NOT NULL,
    score           bigint NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (board, period, user_id)
);
-- Top-N and "how many are above me": an index range scan in rank order.
CREATE INDEX lb_scores_rank ON lb_scores (board, period, score DESC, user_id);
CREATE INDEX lb_scores_user ON lb_scores (user_id, period);

-- What has been credited, by the grant's business key: a redelivered or replayed grant never counts twice.
CREATE TABLE lb_credits (
    user_id         bigint NOT NULL,
    source          text NOT NULL,               -- xp / skill
    ref             text NOT NULL,
    credited_at     timestamptz NOT NULL,
    PRIMARY KEY (user_id, source, ref)
);

-- The boards and periods that have scores (what the snapshot timer refreshes).
CREATE TABLE lb_boards (
    board           text NOT NULL,
    period          text NOT NULL,
    PRIMARY KEY (board, period)
);

-- Per user: the opt-out and portrait settings (the user's), and a ban (from UserBanned / UserUnbanned; `ban_event_id`
-- orders them, so deliveries out of order end in the right state).
CREATE TABLE lb_users (
    user_id         bigint PRIMARY KEY,
    opted_out       boolean NOT NULL DEFAULT false,
    portrait_public boolean NOT NULL DEFAULT true,
    banned          boolean NOT NULL DEFAULT false,
    ban_event_id    bigint NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX lb_users_hidden ON lb_users (user_id) WHERE opted_out OR banned;

-- The rank snapshot for ranks beyond the exact top 1,000: per distinct score, how many visible users have at least
-- that score. rank(m) = 1 + at_or_above of the smallest score above m.
CREATE TABLE lb_snapshots (
    board           text NOT NULL,
    period          text NOT NULL,
    score           bigint NOT NULL,
    at_or_above     bigint NOT NULL,
    PRIMARY KEY (board, period, score)
);
CREATE TABLE lb_snapshot_runs (
    board           text NOT NULL,
    period          text NOT NULL,
    taken_at        timestamptz NOT NULL,
    users           bigint NOT NULL,
    PRIMARY KEY (board, period)
);

-- RankReached once per board, period and threshold (10, 100).
CREATE TABLE lb_rank_reached (
    board           text NOT NULL,
    period          text NOT NULL,
    user_id         bigint NOT NULL,
    threshold       int NOT NULL,
    reached_at      timestamptz NOT NULL,
    PRIMARY KEY (board, period, user_id, threshold)
);
